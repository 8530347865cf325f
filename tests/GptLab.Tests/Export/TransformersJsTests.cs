using System.Text.Json;
using GptLab.Export;
using static TorchSharp.torch;

namespace GptLab.Tests.Export;

/// <summary>An independent consumer of the export: transformers.js (@huggingface/transformers on onnxruntime-node)
/// loads the folder as Hugging Face Optimum's GPT-2 layout and gets GptLab's logits and greedy text.</summary>
public class TransformersJsTests
{
    private static CharTokenizer Chars => OnnxExportTests.Chars;

    [Theory]
    [InlineData("learned layernorm gelu tied bias")]
    [InlineData("rope rmsnorm relu2 qknorm softcap untied nobias")]
    public void TransformersJsRunsTheExportWithGptLabsLogitsAndGreedyText(string variant)
    {
        using var dir = new TempDir();
        using var model = OnnxExportTests.Model(variant);
        OnnxExport.Write(model, Chars, dir["model"]);
        string prompt = "fade in";
        int[] ids = Chars.Encode(prompt);
        var expected = GptLab.Sampling.Sampler.Generate(model, ids, 1, new GptLab.Sampling.SamplingOptions { MaxNewTokens = 8, Temperature = 0, VocabLimit = Chars.VocabSize })[0];
        float[] logits;
        using (no_grad())
        using (var x = tensor(ids.Select(i => (long)i).ToArray(), [1, ids.Length]))
            logits = model.forward(x).select(1, ids.Length - 1).squeeze(0).data<float>().ToArray();

        string script = Path.Combine(ChildProcess.RepoRoot(), "bench", "onnx", "check.mjs");
        Assert.True(Directory.Exists(Path.Combine(Path.GetDirectoryName(script)!, "node_modules", "@huggingface", "transformers")),
            "bench/onnx's packages are not installed: run ./test.sh (or npm install --ignore-scripts in bench/onnx)");
        var node = ChildProcess.Run("node", dir.Path, script, dir["model"], prompt, "8");
        Assert.True(node.Exit == 0, node.Err);
        var json = JsonDocument.Parse(node.Out.Trim().Split('\n')[^1]).RootElement;
        Assert.Equal(ids, json.GetProperty("prompt_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray());
        var theirs = json.GetProperty("last_logits").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        Assert.True(OnnxExportTests.MaxDiff(logits, theirs) < 1e-4, $"max |Δlogit| {OnnxExportTests.MaxDiff(logits, theirs):E2}");
        // transformers.js picks from the model's whole (padded) vocabulary; GptLab never samples padding, so compare while real
        var greedy = json.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Assert.Equal(expected.TakeWhile(t => t < Chars.VocabSize), greedy.TakeWhile(t => t < Chars.VocabSize));
        Assert.True(greedy.TakeWhile(t => t < Chars.VocabSize).Count() >= 3, $"greedy {string.Join(",", greedy)}");
    }
}
