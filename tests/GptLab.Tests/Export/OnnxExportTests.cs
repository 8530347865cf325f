using GptLab.Export;
using GptLab.Inference;
using GptLab.Model;
using GptLab.Sampling;
using static TorchSharp.torch;
using Generator = GptLab.Inference.Generator;

namespace GptLab.Tests.Export;

/// <summary>Export → ONNX Runtime (the real Microsoft.ML.OnnxRuntime package) → the same numbers as GptLab's libtorch model.</summary>
public class OnnxExportTests
{
    /// <summary>The vocabulary of every export test's tiny model (18 characters and end-of-text; the models pad to 24).</summary>
    internal static readonly CharTokenizer Chars = new("abcdefghij klmnop\n".Select(c => (int)c), withEos: true);

    public static TheoryData<string> Variants => new()
    {
        "learned layernorm gelu tied bias",
        "rope rmsnorm relu2 qknorm softcap untied nobias",
        "learned layernorm gelu_tanh untied nobias",
        "rope layernorm gelu_tanh tied bias qknorm",
    };

    internal static Gpt Model(string variant, int blockSize = 16, int width = 16)
    {
        TorchRuntime.Initialize(1);
        var words = variant.Split(' ');
        var c = new GptConfig
        {
            BlockSize = blockSize, VocabSize = 24, NLayer = 2, NHead = 2, NEmbd = width,
            PosEmbedding = words.Contains("rope") ? PosEmbedding.Rope : PosEmbedding.Learned,
            Norm = words.Contains("rmsnorm") ? NormKind.RmsNorm : NormKind.LayerNorm,
            Activation = words.Contains("relu2") ? Activation.Relu2 : words.Contains("gelu_tanh") ? Activation.GeluTanh : Activation.Gelu,
            QkNorm = words.Contains("qknorm"), LogitSoftcap = words.Contains("softcap") ? 5 : 0,
            TieEmbeddings = !words.Contains("untied"), Bias = !words.Contains("nobias"),
        };
        manual_seed(3);
        var model = new Gpt(c);
        using (no_grad())
            foreach (var p in model.parameters()) p.add_(randn_like(p) * 0.3);   // far from the init: every weight matters
        model.eval();
        return model;
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void OnnxRuntimeLogitsEqualGptLabsForEachModelOption(string variant)
    {
        using var dir = new TempDir();
        using var model = Model(variant);
        OnnxExport.Write(model, Chars, dir.Path);
        long[] ids = [1, 5, 9, 2, 17, 3, 3, 8, 0, 11, 4, 6];
        using var x = tensor(ids, [2, 6]);
        float[] expected;
        using (no_grad()) expected = model.forward(x).data<float>().ToArray();
        using var gen = Generator.Load(dir.Path);
        var actual = gen.Logits(ids, 2, 6);
        Assert.Equal(expected.Length, actual.Length);
        Assert.True(MaxDiff(expected, actual) < 1e-4, $"max |Δlogit| {MaxDiff(expected, actual):E2}");
        Assert.True(expected.Max() - expected.Min() > 1, "the logits vary: the comparison can fail");
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void CachedDecodingEqualsTheWholeSequenceInOneCall(string variant)
    {
        using var dir = new TempDir();
        using var model = Model(variant);
        OnnxExport.Write(model, Chars, dir.Path);
        using var gen = Generator.Load(dir.Path);
        int[] ids = [4, 1, 7, 7, 2, 9, 12, 0, 3, 5, 8, 6, 1, 2];
        var whole = gen.Logits(ids.Select(i => (long)i).ToArray(), 1, ids.Length);
        var cached = gen.CachedLogits(ids);
        Assert.True(MaxDiff(whole, cached) < 1e-5, $"max |Δlogit| {MaxDiff(whole, cached):E2}");
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void GreedyTwoHundredTokensAreTheSameWithBothEnginesPastBlockSize(string variant)
    {
        using var dir = new TempDir();
        using var model = Model(variant, blockSize: 16);
        OnnxExport.Write(model, Chars, dir.Path);
        int[] prompt = [3, 1, 4, 1, 5];
        var torchIds = Sampler.Generate(model, prompt, 1, new SamplingOptions { MaxNewTokens = 200, Temperature = 0, Window = WindowMode.Jump, VocabLimit = Chars.VocabSize })[0];
        using var gen = Generator.Load(dir.Path);
        var onnxIds = gen.GenerateIds(prompt, 1, new GenerationOptions { MaxNewTokens = 200, Temperature = 0 })[0];
        Assert.Equal(200, torchIds.Length);
        Assert.True(torchIds.Distinct().Count() > 3, "the greedy text is not one repeated token");
        Assert.Equal(torchIds, onnxIds);
    }

    [Fact]
    public void Int8WeightsStayWithinOnePercentOfFp32sNllInUnderAThirdOfTheBytes()
    {
        using var dir = new TempDir();
        using var model = Model("learned layernorm gelu tied bias", width: 64);
        var fp32 = OnnxExport.Write(model, Chars, dir["fp32"]);
        var int8 = OnnxExport.Write(model, Chars, dir["int8"], Quantization.Int8);
        var rng = new Random(1);
        long[] ids = Enumerable.Range(0, 4 * 16).Select(_ => (long)rng.Next(Chars.VocabSize)).ToArray();
        using var a = Generator.Load(dir["fp32"]);
        using var b = Generator.Load(dir["int8"]);
        double nllA = Nll(a.Logits(ids, 4, 16), ids, 4, 16, 24), nllB = Nll(b.Logits(ids, 4, 16), ids, 4, 16, 24);
        Assert.True(Math.Abs(nllA - nllB) < 0.01 * nllA, $"NLL fp32 {nllA:0.0000}, int8 {nllB:0.0000}");   // the stated tolerance: 1 % of the NLL
        Assert.NotEqual(a.Logits(ids, 4, 16), b.Logits(ids, 4, 16));   // the int8 graph really runs other weights
        Assert.True(int8.ModelBytes < fp32.ModelBytes * 0.3, $"{int8.ModelBytes} vs {fp32.ModelBytes} bytes");
    }

    [Theory]
    [InlineData(-1, 0.8, 0, 1.0, "MaxNewTokens")]
    [InlineData(5, -0.1, 0, 1.0, "Temperature")]
    [InlineData(5, 0.8, -2, 1.0, "TopK")]
    [InlineData(5, 0.8, 0, 1.5, "TopP")]
    public void OptionsOutOfRangeAreOneLineErrorsForALibraryUser(int tokens, double temperature, int topK, double topP, string named)
    {
        using var dir = new TempDir();
        using var model = Model("learned layernorm gelu tied bias");
        OnnxExport.Write(model, Chars, dir.Path);
        using var gen = Generator.Load(dir.Path);
        var e = Assert.Throws<InferenceException>(() => gen.GenerateIds([1], 1, new GenerationOptions { MaxNewTokens = tokens, Temperature = temperature, TopK = topK, TopP = topP }));
        Assert.StartsWith(named, e.Message);
        Assert.Throws<InferenceException>(() => Generator.Load(dir["nowhere"]));
        Assert.Throws<InferenceException>(() => gen.Tokenizer.Encode("xyz"));   // never seen by this vocabulary
    }

    internal static double Nll(float[] logits, long[] ids, int rows, int len, int V)
    {
        double sum = 0;
        int n = 0;
        for (int r = 0; r < rows; r++)
            for (int t = 0; t + 1 < len; t++)
            {
                var row = logits.AsSpan((r * len + t) * V, V);
                double max = row.ToArray().Max(), z = 0;
                foreach (var l in row) z += Math.Exp(l - max);
                sum += Math.Log(z) + max - row[(int)ids[r * len + t + 1]];
                n++;
            }
        return sum / n;
    }

    internal static double MaxDiff(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max();
}
