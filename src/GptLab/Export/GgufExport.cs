using GptLab.Model;
using static TorchSharp.torch;

namespace GptLab.Export;

/// <summary>What <c>gptlab export --format gguf</c> wrote.</summary>
public sealed record GgufExportResult(string Path, long Bytes, int Tensors, Quantization Quantize);

/// <summary>
/// A model as one GGUF v3 file for llama.cpp's <c>gpt2</c> architecture (the names and metadata of its
/// convert_hf_to_gguf.py for GPT-2): <c>token_embd</c>, <c>position_embd</c>, <c>blk.N.attn_norm/attn_qkv/attn_output/
/// ffn_norm/ffn_up/ffn_down</c>, <c>output_norm</c>; the lm_head is wte (tied, as llama.cpp then reuses token_embd).
/// Matrices keep PyTorch's (out, in) row-major layout, which GGUF lists as dims [in, out]. A model without biases gets
/// zero biases (GPT-2 has them; the function is the same). The tokenizer is GPT-2-style byte-level BPE (tokens spelled
/// with bytes_to_unicode, merges, end-of-text as a control token). int8: llama.cpp's Q8_0 for the matrices.
/// </summary>
public static class GgufExport
{
    public static GgufExportResult Write(Gpt gpt, ITokenizer tokenizer, string path, Quantization quantize = Quantization.None)
    {
        var c = gpt.Config;
        if (c.PosEmbedding != PosEmbedding.Learned || c.Norm != NormKind.LayerNorm || c.Activation == Activation.Relu2 || !c.TieEmbeddings || c.QkNorm || c.LogitSoftcap > 0)
            throw new GptLabException("GGUF export is for GPT-2-shaped models (learned positions, layernorm, gelu, tied embeddings, no qk_norm or logit_softcap) — llama.cpp's gpt2 architecture has no place for the others; use --format onnx");
        var (tokens, types, merges) = Vocabulary(tokenizer);
        var weights = gpt.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        var f = new GgufFile();
        f.Add("general.architecture", "gpt2");
        f.Add("general.name", "gptlab");
        f.Add("general.file_type", quantize == Quantization.Int8 ? 7u : 0u);   // 0 all F32, 7 mostly Q8_0
        f.Add("general.alignment", (uint)GgufFile.Alignment);
        f.Add("gpt2.context_length", (uint)c.BlockSize);
        f.Add("gpt2.embedding_length", (uint)c.NEmbd);
        f.Add("gpt2.feed_forward_length", (uint)(4 * c.NEmbd));
        f.Add("gpt2.block_count", (uint)c.NLayer);
        f.Add("gpt2.attention.head_count", (uint)c.NHead);
        f.Add("gpt2.attention.layer_norm_epsilon", 1e-5f);
        f.Add("tokenizer.ggml.model", "gpt2");
        f.Add("tokenizer.ggml.pre", "gpt-2");
        f.Add("tokenizer.ggml.tokens", tokens);
        f.Add("tokenizer.ggml.token_type", types);
        f.Add("tokenizer.ggml.merges", merges);   // llama.cpp requires the key, even with no merges (characters)
        if (tokenizer.EosId is int eos)
        {
            f.Add("tokenizer.ggml.bos_token_id", (uint)eos);
            f.Add("tokenizer.ggml.eos_token_id", (uint)eos);
        }
        using var _ = no_grad();
        void Put(string name, string source, bool matrix = false, long rows = 0)
        {
            if (!weights.TryGetValue(source, out var w))
            {
                // a model without biases: zeros of the width the weight beside it has outputs
                var like = weights[source[..^".bias".Length] + ".weight"];
                f.Tensors.Add(Make(name, new float[like.shape[0]], [like.shape[0]], GgufFile.TensorType.F32));
                return;
            }
            using var t = (rows > 0 ? w.detach().narrow(0, 0, rows) : w.detach()).to(ScalarType.Float32).cpu().contiguous();
            var data = t.data<float>().ToArray();
            long[] dims = [.. t.shape.Reverse()];   // ggml lists the fastest-varying dimension first
            bool q8 = matrix && quantize == Quantization.Int8 && dims[0] % 32 == 0;
            f.Tensors.Add(Make(name, data, dims, q8 ? GgufFile.TensorType.Q8_0 : GgufFile.TensorType.F32));
        }
        Put("token_embd.weight", "transformer.wte.weight", matrix: true, rows: tokens.Length);   // the real vocabulary: padding rows would be sampled
        Put("position_embd.weight", "transformer.wpe.weight");
        for (int i = 0; i < c.NLayer; i++)
        {
            string p = $"transformer.h.{i}", b = $"blk.{i}";
            Put($"{b}.attn_norm.weight", $"{p}.ln_1.weight"); Put($"{b}.attn_norm.bias", $"{p}.ln_1.bias");
            Put($"{b}.attn_qkv.weight", $"{p}.attn.c_attn.weight", matrix: true); Put($"{b}.attn_qkv.bias", $"{p}.attn.c_attn.bias");
            Put($"{b}.attn_output.weight", $"{p}.attn.c_proj.weight", matrix: true); Put($"{b}.attn_output.bias", $"{p}.attn.c_proj.bias");
            Put($"{b}.ffn_norm.weight", $"{p}.ln_2.weight"); Put($"{b}.ffn_norm.bias", $"{p}.ln_2.bias");
            Put($"{b}.ffn_up.weight", $"{p}.mlp.c_fc.weight", matrix: true); Put($"{b}.ffn_up.bias", $"{p}.mlp.c_fc.bias");
            Put($"{b}.ffn_down.weight", $"{p}.mlp.c_proj.weight", matrix: true); Put($"{b}.ffn_down.bias", $"{p}.mlp.c_proj.bias");
        }
        Put("output_norm.weight", "transformer.ln_f.weight"); Put("output_norm.bias", "transformer.ln_f.bias");
        f.Write(path);
        return new GgufExportResult(path, new FileInfo(path).Length, f.Tensors.Count, quantize);
    }

    private static GgufFile.Tensor Make(string name, float[] data, long[] dims, GgufFile.TensorType type) =>
        new(name, dims, type, type == GgufFile.TensorType.Q8_0 ? GgufFile.Q8_0(data) : System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan()).ToArray());

    /// <summary>The vocabulary as byte-level BPE tokens, their types (1 normal, 3 control) and merges ("left right").
    /// The model's padding ids are left out (token_embd keeps the real rows), so llama.cpp never samples them.</summary>
    private static (string[] Tokens, int[] Types, string[] Merges) Vocabulary(ITokenizer tokenizer)
    {
        BpeModel model = tokenizer switch
        {
            BpeTokenizer b => b.Model,
            Gpt2Tokenizer => Gpt2Tokenizer.AsBpeModel(),
            CharTokenizer ch when ch.CodePoints.All(cp => cp < 128) => HfTokenizerJson.AsciiBytes(ch),
            CharTokenizer => throw new GptLabException("a character vocabulary with non-ASCII characters has no llama.cpp (byte-level BPE) form; use --format onnx"),
            _ => throw new GptLabException($"the {tokenizer.Kind} tokenizer has no llama.cpp form (byte-level BPE or ASCII characters); use --format onnx"),
        };
        var tokens = model.Tokens.Select(BpeTokenizer.Spell).Concat(model.Specials).ToList();
        var types = Enumerable.Repeat(1, model.Tokens.Count).Concat(Enumerable.Repeat(3, model.Specials.Count)).ToList();
        var merges = model.Merges.Select(m => $"{BpeTokenizer.Spell(model.Tokens[m.Left])} {BpeTokenizer.Spell(model.Tokens[m.Right])}").ToArray();
        return ([.. tokens], [.. types], merges);
    }
}
