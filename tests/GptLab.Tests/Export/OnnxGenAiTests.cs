using GptLab.Export;
using GenAi = Microsoft.ML.OnnxRuntimeGenAI;

namespace GptLab.Tests.Export;

/// <summary>ONNX Runtime GenAI (Microsoft.ML.OnnxRuntimeGenAI) runs the export from its genai_config.json: its own
/// tokenizer (tokenizer.json), its own KV-cache handling, GptLab's greedy text.</summary>
public class OnnxGenAiTests
{
    [Fact]
    public void OnnxRuntimeGenAiGeneratesGptLabsGreedyTokensFromTheExport()
    {
        var chars = OnnxExportTests.Chars;
        using var dir = new TempDir();
        using var model = OnnxExportTests.Model("learned layernorm gelu tied bias");
        OnnxExport.Write(model, chars, dir.Path);
        Assert.True(File.Exists(dir["genai_config.json"]));
        int[] prompt = chars.Encode("fade in");
        var expected = GptLab.Sampling.Sampler.Generate(model, prompt, 1, new GptLab.Sampling.SamplingOptions { MaxNewTokens = 16 - prompt.Length, Temperature = 0, VocabLimit = chars.VocabSize })[0];

        using var genModel = new GenAi.Model(dir.Path);
        using var tokenizer = new GenAi.Tokenizer(genModel);
        using var sequences = tokenizer.Encode("fade in");
        Assert.Equal(prompt, sequences[0].ToArray());                       // its tokenizer reads our tokenizer.json alike
        using var p = new GenAi.GeneratorParams(genModel);
        p.SetSearchOption("max_length", 16);
        p.SetSearchOption("do_sample", false);
        using var generator = new GenAi.Generator(genModel, p);
        generator.AppendTokenSequences(sequences);
        while (!generator.IsDone()) generator.GenerateNextToken();
        var ids = generator.GetSequence(0).ToArray()[prompt.Length..];
        // GenAI picks from the whole padded vocabulary; GptLab never samples padding: compare while the ids are real
        Assert.Equal(expected.TakeWhile(t => t < chars.VocabSize), ids.TakeWhile(t => t < chars.VocabSize));
        Assert.True(ids.TakeWhile(t => t < chars.VocabSize).Count() >= 3, $"GenAI: {string.Join(",", ids)}, GptLab: {string.Join(",", expected)}");
    }
}
