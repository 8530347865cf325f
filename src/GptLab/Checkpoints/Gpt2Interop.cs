using System.Text.Json.Nodes;
using GptLab.IO;
using GptLab.Model;
using GptLab.Training;
using static TorchSharp.torch;

namespace GptLab.Checkpoints;

/// <summary>
/// Weights in the Hugging Face GPT-2 layout (GPT2LMHeadModel): `transformer.h.0.attn.c_attn.weight` … with the
/// Conv1D weights stored transposed (in, out), `lm_head.weight` tied to wte, and a config.json. Export lets our
/// models open in transformers; import loads GPT-2 (or any model saved that way) to sample, evaluate or fine-tune.
/// </summary>
internal static class Gpt2Interop
{
    private static readonly string[] Conv1D = ["attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight"];

    private static bool IsConv1D(string name) => Conv1D.Any(name.EndsWith);

    /// <summary>Writes <paramref name="outDir"/>/model.safetensors and config.json from a checkpoint.</summary>
    public static void Export(string checkpointDir, string outDir)
    {
        using var ck = CheckpointStore.Load(checkpointDir);
        var c = ck.Model.Config;
        if (c.Norm != NormKind.LayerNorm || c.QkNorm || c.LogitSoftcap > 0 || c.Activation == Activation.Relu2)
            throw new GptLabException("this model uses options GPT-2 does not have (rmsnorm, qk_norm, logit_softcap or relu2); its checkpoint's model.safetensors keeps every weight under GPT-2 names");
        if (!c.TieEmbeddings || c.Attention != AttentionKind.Causal)
            throw new GptLabException("this model has untied embeddings or document attention, which GPT-2 does not have; its checkpoint's model.safetensors keeps every weight under GPT-2 names");
        if (c.PosEmbedding != PosEmbedding.Learned)
            throw new GptLabException("a rope model has no GPT-2 equivalent (GPT-2 uses learned positions); its checkpoint's model.safetensors keeps every weight under GPT-2 names");
        Directory.CreateDirectory(outDir);
        using var scope = NewDisposeScope();
        var tensors = new List<(string, Tensor)>();
        foreach (var (name, p) in ck.Model.named_parameters())
            tensors.Add((name, IsConv1D(name) ? p.detach().t().contiguous() : p.detach()));
        if (!c.Bias)   // GPT-2 always has biases: zeros are the same function
            foreach (var (name, p) in ck.Model.named_parameters().ToList())
                if (name.EndsWith(".weight") && (IsConv1D(name) || name.Contains(".ln_")))
                    tensors.Add((name[..^".weight".Length] + ".bias", zeros(p.shape[0])));   // out features / LN width
        tensors.Add(("lm_head.weight", ck.Model.named_parameters().First(p => p.name == "transformer.wte.weight").parameter.detach()));
        SafeTensors.Save(Path.Combine(outDir, "model.safetensors"), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        var config = new JsonObject
        {
            ["architectures"] = new JsonArray("GPT2LMHeadModel"), ["model_type"] = "gpt2",
            ["n_layer"] = c.NLayer, ["n_head"] = c.NHead, ["n_embd"] = c.NEmbd, ["n_positions"] = c.BlockSize, ["n_ctx"] = c.BlockSize,
            ["vocab_size"] = c.VocabSize, ["activation_function"] = c.Activation == Activation.GeluTanh ? "gelu_new" : "gelu",
            ["layer_norm_epsilon"] = 1e-5, ["tie_word_embeddings"] = true,
            ["bos_token_id"] = ck.Tokenizer.EosId, ["eos_token_id"] = ck.Tokenizer.EosId,
        };
        AtomicFile.WriteAllText(Path.Combine(outDir, "config.json"), config.ToJsonString(Json.Options));
        TokenizerStore.CopyFiles(checkpointDir, outDir);
    }

    /// <summary>Reads GPT-2-layout weights (a folder with model.safetensors [+ config.json], or the file) and writes
    /// a GptLab checkpoint folder. <paramref name="tokenizerDir"/>: where the tokenizer comes from (default: GPT-2's
    /// when the vocabulary is GPT-2's).</summary>
    public static CheckpointManifest Import(string source, string outDir, int? nHead = null, string? tokenizerDir = null, bool force = false)
    {
        string file = Directory.Exists(source) ? Path.Combine(source, "model.safetensors") : source;
        string configPath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(file))!, "config.json");
        JsonObject? hf = File.Exists(configPath) ? JsonNode.Parse(File.ReadAllText(configPath))?.AsObject() : null;
        if (CheckpointStore.Exists(outDir) && !force) throw new GptLabException($"{outDir} already holds a checkpoint — pass --force or pick another --out");
        var raw = SafeTensors.Load(file);
        try
        {
            var weights = new Dictionary<string, Tensor>();
            foreach (var (k, v) in raw)
            {
                string name = k.StartsWith("transformer.", StringComparison.Ordinal) ? k : "transformer." + k;
                if (k == "lm_head.weight" || name.EndsWith(".attn.bias") && v.dim() == 4 || name.EndsWith(".attn.masked_bias")) continue;
                weights[name] = v;
            }
            if (!weights.TryGetValue("transformer.wte.weight", out var wte) || !weights.TryGetValue("transformer.wpe.weight", out var wpe))
                throw new GptLabException($"{file} is not a GPT-2 model (no wte/wpe weights)");
            int nLayer = weights.Keys.Where(k => k.StartsWith("transformer.h.")).Select(k => int.Parse(k.Split('.')[2])).DefaultIfEmpty(-1).Max() + 1;
            int heads = nHead ?? hf?["n_head"]?.GetValue<int>() ?? throw new GptLabException("the number of heads is not in the weights: give --n-head N or put GPT-2's config.json beside them");
            var config = new GptConfig
            {
                VocabSize = (int)wte.shape[0], NEmbd = (int)wte.shape[1], BlockSize = (int)wpe.shape[0], NLayer = nLayer, NHead = heads,
                Bias = weights.ContainsKey("transformer.h.0.attn.c_attn.bias"), PosEmbedding = PosEmbedding.Learned,
                Activation = hf?["activation_function"]?.GetValue<string>() is "gelu_new" or "gelu_pytorch_tanh" or "gelu_fast" ? Activation.GeluTanh : hf is null ? Activation.GeluTanh : Activation.Gelu,
            };
            // Conv1D (in, out) or Linear (out, in)? c_attn is C × 3C, never square, so it tells for every layer
            // (c_proj is square and cannot tell by itself).
            bool conv1D = weights.TryGetValue("transformer.h.0.attn.c_attn.weight", out var cAttn) && cAttn.shape[0] == config.NEmbd && cAttn.shape[1] == 3 * config.NEmbd;
            using var model = new Gpt(config);
            using (no_grad())
                foreach (var (name, p) in model.named_parameters())
                {
                    if (!weights.TryGetValue(name, out var t)) throw new GptLabException($"{file} lacks {name}");
                    var src = t.to(ScalarType.Float32);
                    if (conv1D && IsConv1D(name)) src = src.t();
                    if (!src.shape.SequenceEqual(p.shape))
                        throw new GptLabException($"{file}: {name} is [{string.Join("×", t.shape)}], expected [{string.Join("×", p.shape)}] for {nLayer} layers × {config.NEmbd} wide");
                    p.copy_(src);
                }
            ITokenizer tokenizer = tokenizerDir != null ? Data.Dataset.Open(tokenizerDir).Tokenizer
                : config.VocabSize is >= 50257 and <= 50304 ? new Gpt2Tokenizer()
                : throw new GptLabException($"vocab {config.VocabSize} is not GPT-2's: give --tokenizer-from DIR (a prepared dataset with the right tokenizer)");
            if (tokenizer.VocabSize > config.VocabSize) throw new GptLabException($"the tokenizer has {tokenizer.VocabSize} tokens, the model only {config.VocabSize}");
            string tokDir = Directory.CreateTempSubdirectory("gptlab-tok-").FullName;
            try
            {
                tokenizer.Save(tokDir);
                var train = new TrainConfig
                {
                    NLayer = config.NLayer, NHead = config.NHead, NEmbd = config.NEmbd, BlockSize = config.BlockSize, Bias = config.Bias,
                    Activation = config.Activation, PadVocab = config.VocabSize != tokenizer.VocabSize, Dataset = "",
                };
                var manifest = new CheckpointManifest
                {
                    Step = 0, Model = config, Train = train, TokenizerKind = tokenizer.Kind, DataVocabSize = tokenizer.VocabSize,
                    DataFingerprint = $"imported:{Path.GetFileName(file)}", CreatedUtc = DateTime.UtcNow,
                };
                CheckpointStore.Save(outDir, model, null, manifest, tokDir);
                return manifest;
            }
            finally { Directory.Delete(tokDir, true); }
        }
        finally
        {
            foreach (var t in raw.Values) t.Dispose();
        }
    }
}
