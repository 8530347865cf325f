using System.Text.Json;
using GptLab.Export;
using GptLab.Model;
using GptLab.Sampling;
using static TorchSharp.torch;

namespace GptLab.Tests.Export;

/// <summary>GGUF for llama.cpp: written, re-read, and run by llama.cpp itself (node-llama-cpp's prebuilt binaries).</summary>
public class GgufExportTests
{
    private static CharTokenizer Chars => OnnxExportTests.Chars;

    [Fact]
    public void TheFileReadsBackWithGpt2sMetadataTensorNamesShapesAndBytes()
    {
        using var dir = new TempDir();
        using var model = OnnxExportTests.Model("learned layernorm gelu tied bias");
        var r = GgufExport.Write(model, Chars, dir["m.gguf"]);
        var f = GgufFile.Read(dir["m.gguf"]);
        var meta = f.Metadata.ToDictionary(m => m.Key, m => m.Value);
        Assert.Equal("gpt2", meta["general.architecture"]);
        Assert.Equal(16u, meta["gpt2.context_length"]);
        Assert.Equal(16u, meta["gpt2.embedding_length"]);
        Assert.Equal(64u, meta["gpt2.feed_forward_length"]);
        Assert.Equal(2u, meta["gpt2.block_count"]);
        Assert.Equal(2u, meta["gpt2.attention.head_count"]);
        var tokens = (object[])meta["tokenizer.ggml.tokens"];
        Assert.Equal(Chars.VocabSize, tokens.Length);                           // the real vocabulary, without the model's padding
        Assert.Equal([16L, Chars.VocabSize], f.Tensors.Single(t => t.Name == "token_embd.weight").Dims);
        Assert.Equal("Ġ", tokens[Chars.Encode(" ")[0]]);                          // bytes spelled as GPT-2's byte-level BPE
        Assert.Equal(CharTokenizer.EndOfText, tokens[Chars.EosId!.Value]);
        Assert.Equal(2 + 2 * 12 + 2, r.Tensors);
        var qkv = f.Tensors.Single(t => t.Name == "blk.1.attn_qkv.weight");
        Assert.Equal([16L, 48L], qkv.Dims);                                      // (out, in) row-major = ggml [in, out]
        var expected = model.named_parameters().Single(p => p.name == "transformer.h.1.attn.c_attn.weight").parameter.detach().contiguous().data<float>().ToArray();
        Assert.Equal(expected, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(qkv.Data).ToArray());
        Assert.Equal(GgufFile.TensorType.F32, qkv.Type);
    }

    [Fact]
    public void Q8ZeroBlocksDecodeToWithinHalfAStepOfEachWeight()
    {
        var rng = new Random(2);
        var x = Enumerable.Range(0, 64).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var q = GgufFile.Q8_0(x);
        Assert.Equal(68, q.Length);
        for (int b = 0; b < 2; b++)
        {
            float d = (float)BitConverter.ToHalf(q, b * 34);
            for (int i = 0; i < 32; i++) Assert.True(Math.Abs((sbyte)q[b * 34 + 2 + i] * d - x[b * 32 + i]) <= d * 0.5f + 1e-6f);
        }
    }

    [Fact]
    public void OtherModelShapesAreRefusedWithOneLine()
    {
        using var dir = new TempDir();
        using var model = OnnxExportTests.Model("rope rmsnorm relu2 qknorm softcap untied nobias");
        var e = Assert.Throws<GptLabException>(() => GgufExport.Write(model, Chars, dir["m.gguf"]));
        Assert.Contains("llama.cpp's gpt2 architecture", e.Message);
        Assert.False(File.Exists(dir["m.gguf"]));
    }

    [Theory]
    [InlineData(Quantization.None)]
    [InlineData(Quantization.Int8)]
    public void LlamaCppContinuesThePromptWithGptLabsGreedyTokens(Quantization quantize)
    {
        using var dir = new TempDir();
        TorchRuntime.Initialize(1);
        manual_seed(5);
        using var model = new Gpt(new GptConfig { BlockSize = 32, VocabSize = 24, NLayer = 2, NHead = 2, NEmbd = 32, Activation = Activation.GeluTanh });   // llama.cpp's GELU is the tanh one
        using (no_grad()) foreach (var p in model.parameters()) p.add_(randn_like(p) * 0.3);
        GgufExport.Write(model, Chars, dir["m.gguf"], quantize);
        int[] prompt = Chars.Encode("fade in");
        var expected = Sampler.Generate(model, prompt, 1, new SamplingOptions { MaxNewTokens = 20, Temperature = 0, VocabLimit = Chars.VocabSize })[0];

        string script = Path.Combine(ChildProcess.RepoRoot(), "bench", "gguf", "check.mjs");
        Assert.True(Directory.Exists(Path.Combine(Path.GetDirectoryName(script)!, "node_modules", "node-llama-cpp")), "bench/gguf's packages are not installed: run ./test.sh (or npm install --omit=optional in bench/gguf)");
        var node = ChildProcess.Run("node", dir.Path, script, dir["m.gguf"], "fade in", "20");
        Assert.True(node.Exit == 0, node.Err);
        string output = node.Out;
        var json = JsonDocument.Parse(output.Trim().Split('\n')[^1]).RootElement;
        Assert.Equal("gpt2", json.GetProperty("architecture").GetString());
        Assert.Equal(prompt, json.GetProperty("prompt_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray());   // llama.cpp tokenizes as GptLab
        var ids = json.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Assert.True(expected.Distinct().Count() > 2, "the greedy text is not one repeated token");
        if (quantize == Quantization.None) Assert.Equal(expected, ids);
        else Assert.True(expected.Zip(ids).TakeWhile(p => p.First == p.Second).Count() >= 5, $"Q8_0 diverges at once: {string.Join(",", ids)} vs {string.Join(",", expected)}");
    }
}
