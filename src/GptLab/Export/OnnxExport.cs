using System.Text.Json.Nodes;
using GptLab.Checkpoints;
using GptLab.IO;
using GptLab.Model;

namespace GptLab.Export;

/// <summary>What <c>gptlab export --format onnx</c> wrote.</summary>
public sealed record OnnxExportResult(string Directory, long ModelBytes, Quantization Quantize, int Nodes);

/// <summary>
/// A checkpoint as a folder ONNX consumers load (Hugging Face Optimum's GPT-2 layout): <c>model.onnx</c> (the decoder
/// with its KV cache, <see cref="OnnxExporter"/>) and its weights in <c>model.onnx_data</c>, <c>config.json</c> (GPT-2's keys + a <c>gptlab</c> block with every
/// option the graph was built with), <c>generation_config.json</c>, <c>tokenizer.json</c>, <c>tokenizer_config.json</c>
/// and <c>special_tokens_map.json</c>. Each file is written whole or not at all.
/// </summary>
public static class OnnxExport
{
    public const string ModelFile = "model.onnx";
    public const string DataFile = "model.onnx_data";   // the weights (ONNX external data; Optimum's name for it)

    public static OnnxExportResult Write(Checkpoint ck, string outDir, Quantization quantize = Quantization.None) =>
        Write(ck.Model, ck.Tokenizer, outDir, quantize, ck.Manifest.Step, ck.Manifest.BestValLoss);

    public static OnnxExportResult Write(Gpt gpt, ITokenizer tok, string outDir, Quantization quantize = Quantization.None, int step = 0, double bestValLoss = double.NaN)
    {
        var c = gpt.Config;
        string tokenizerJson = HfTokenizerJson.Of(tok);   // before writing anything: a tokenizer without a form fails here
        var model = OnnxExporter.Build(gpt, quantize, new Dictionary<string, string>
        {
            ["gptlab.step"] = step.ToString(),
        });
        Directory.CreateDirectory(outDir);
        OnnxGraph.SaveWithExternalData(model, Path.Combine(outDir, ModelFile), Path.Combine(outDir, DataFile));
        long bytes = new FileInfo(Path.Combine(outDir, ModelFile)).Length + new FileInfo(Path.Combine(outDir, DataFile)).Length;
        string? eos = tok.EosId is null ? null : CharTokenizer.EndOfText;   // every GptLab vocabulary spells it so
        var config = new JsonObject
        {
            ["architectures"] = new JsonArray("GPT2LMHeadModel"), ["model_type"] = "gpt2",
            ["n_layer"] = c.NLayer, ["n_head"] = c.NHead, ["n_embd"] = c.NEmbd, ["n_positions"] = c.BlockSize, ["n_ctx"] = c.BlockSize,
            ["vocab_size"] = c.VocabSize, ["activation_function"] = c.Activation switch { Activation.GeluTanh => "gelu_new", Activation.Relu2 => "relu2", _ => "gelu" },
            ["layer_norm_epsilon"] = 1e-5, ["tie_word_embeddings"] = c.TieEmbeddings, ["use_cache"] = true,
            ["bos_token_id"] = tok.EosId, ["eos_token_id"] = tok.EosId,
            ["gptlab"] = new JsonObject
            {
                ["format"] = 1, ["model_file"] = ModelFile, ["quantize"] = JsonEnum.Name(quantize),
                ["tokenizer"] = tok.Kind, ["tokenizer_vocab_size"] = tok.VocabSize,
                ["pos_embedding"] = JsonEnum.Name(c.PosEmbedding), ["rope_theta"] = c.RopeTheta, ["norm"] = JsonEnum.Name(c.Norm),
                ["activation"] = JsonEnum.Name(c.Activation), ["qk_norm"] = c.QkNorm, ["logit_softcap"] = c.LogitSoftcap, ["bias"] = c.Bias,
                ["attention"] = JsonEnum.Name(c.Attention), ["step"] = step, ["best_val_loss"] = double.IsFinite(bestValLoss) ? bestValLoss : null,
            },
        };
        AtomicFile.WriteAllText(Path.Combine(outDir, "config.json"), config.ToJsonString(Json.Options));
        AtomicFile.WriteAllText(Path.Combine(outDir, "generation_config.json"), new JsonObject
        {
            ["bos_token_id"] = tok.EosId, ["eos_token_id"] = tok.EosId, ["max_length"] = c.BlockSize, ["do_sample"] = true, ["temperature"] = 0.8, ["top_k"] = 200,
        }.ToJsonString(Json.Options));
        AtomicFile.WriteAllText(Path.Combine(outDir, "tokenizer.json"), tokenizerJson);
        if (GenAiConfig(c, tok) is JsonObject genai) AtomicFile.WriteAllText(Path.Combine(outDir, "genai_config.json"), genai.ToJsonString(Json.Options));
        var special = new JsonObject();
        if (eos is not null) foreach (var k in new[] { "bos_token", "eos_token", "unk_token" }) special[k] = eos;
        if (tok is WordTokenizer) special["unk_token"] = WordTokenizer.Unknown;
        var tokenizerConfig = special.DeepClone().AsObject();
        tokenizerConfig["tokenizer_class"] = "PreTrainedTokenizerFast";
        tokenizerConfig["model_max_length"] = c.BlockSize;
        tokenizerConfig["clean_up_tokenization_spaces"] = false;
        AtomicFile.WriteAllText(Path.Combine(outDir, "tokenizer_config.json"), tokenizerConfig.ToJsonString(Json.Options));
        AtomicFile.WriteAllText(Path.Combine(outDir, "special_tokens_map.json"), special.ToJsonString(Json.Options));
        return new OnnxExportResult(outDir, bytes, quantize, model.Graph.Node.Count);
    }

    /// <summary>
    /// ONNX Runtime GenAI's config for this graph. Its "gpt2" type expects one combined past_%d cache per layer, so the
    /// graph (Optimum's separate key/value) runs as its generic decoder-only type, "llama" (the inputs and outputs are
    /// named below). GenAI needs an end-of-text id inside the vocabulary: without one, the first padding id stands in
    /// (never a real token); a vocabulary with neither gets no genai_config.json.
    /// </summary>
    private static JsonObject? GenAiConfig(GptConfig c, ITokenizer tok)
    {
        int? eos = tok.EosId ?? (c.VocabSize > tok.VocabSize ? tok.VocabSize : null);
        if (eos is null) return null;
        return new JsonObject
        {
            ["model"] = new JsonObject
            {
                ["type"] = "llama", ["bos_token_id"] = eos, ["eos_token_id"] = eos, ["pad_token_id"] = eos, ["context_length"] = c.BlockSize, ["vocab_size"] = c.VocabSize,
                ["decoder"] = new JsonObject
                {
                    ["session_options"] = new JsonObject { ["log_id"] = "onnxruntime-genai", ["provider_options"] = new JsonArray() },
                    ["filename"] = ModelFile, ["head_size"] = c.HeadSize, ["hidden_size"] = c.NEmbd, ["num_attention_heads"] = c.NHead,
                    ["num_hidden_layers"] = c.NLayer, ["num_key_value_heads"] = c.NHead,
                    ["inputs"] = new JsonObject
                    {
                        ["input_ids"] = "input_ids", ["attention_mask"] = "attention_mask", ["position_ids"] = "position_ids",
                        ["past_key_names"] = "past_key_values.%d.key", ["past_value_names"] = "past_key_values.%d.value",
                    },
                    ["outputs"] = new JsonObject { ["logits"] = "logits", ["present_key_names"] = "present.%d.key", ["present_value_names"] = "present.%d.value" },
                },
            },
            ["search"] = new JsonObject
            {
                ["do_sample"] = false, ["max_length"] = c.BlockSize, ["min_length"] = 0, ["num_beams"] = 1, ["num_return_sequences"] = 1,
                ["past_present_share_buffer"] = false, ["repetition_penalty"] = 1.0, ["temperature"] = 1.0, ["top_k"] = 1, ["top_p"] = 1.0,
            },
        };
    }
}
