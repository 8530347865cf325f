using System.Text.Json;

namespace GptLab.Tests.Export;

/// <summary>`gptlab export --format onnx`, then `sample` and `eval` with `--engine onnx`, through the real program.</summary>
public class OnnxCliTests(TrainedRun trained) : IClassFixture<TrainedRun>
{
    private (int Exit, string Out, string Err) Gptlab(params string[] args) => GptLabProcess.Run(trained.Dir.Path, args);

    private string Exported(string name, params string[] more)
    {
        if (!File.Exists(trained.Dir[$"{name}/model.onnx"]))
        {
            var r = Gptlab(["export", "--run", "runs/tiny", "--format", "onnx", "--out", name, .. more]);
            Assert.True(r.Exit == 0, r.Err);
            Assert.Contains("model.onnx", r.Out);
        }
        return name;
    }

    [Fact]
    public void The_onnx_engine_samples_the_same_greedy_text_as_libtorch_past_block_size()
    {
        string dir = Exported("onnx");
        var torch = Gptlab("sample", "--run", "runs/tiny", "--prompt", "ROMEO:", "--max-new-tokens", "60", "--temperature", "0", "--threads", "1");
        var onnx = Gptlab("sample", "--engine", "onnx", "--model", dir, "--prompt", "ROMEO:", "--max-new-tokens", "60", "--temperature", "0", "--stats");
        Assert.True(onnx.Exit == 0, onnx.Err);
        Assert.StartsWith(torch.Out, onnx.Out);   // then the --stats line
        Assert.Contains("tok/s", onnx.Out);
        var sampled = Gptlab("sample", "--engine", "onnx", "--model", dir, "--num-samples", "2", "--max-new-tokens", "20", "--seed", "5");
        Assert.True(sampled.Exit == 0, sampled.Err);
        Assert.Contains("sample 2", sampled.Out);
    }

    [Fact]
    public void The_onnx_engine_scores_the_whole_split_as_libtorch_does()
    {
        string dir = Exported("onnx");
        double Nll((int Exit, string Out, string Err) r)
        {
            Assert.True(r.Exit == 0, r.Err);
            return JsonDocument.Parse(r.Out).RootElement.GetProperty("nll").GetDouble();
        }
        double torch = Nll(Gptlab("eval", "--run", "runs/tiny", "--json", "--threads", "1"));
        double onnx = Nll(Gptlab("eval", "--engine", "onnx", "--model", dir, "--data", trained.DataDir, "--json"));
        Assert.True(Math.Abs(torch - onnx) < 1e-4, $"torch {torch}, onnx {onnx}");
        double int8 = Nll(Gptlab("eval", "--engine", "onnx", "--model", Exported("onnx-int8", "--quantize", "int8"), "--data", trained.DataDir, "--json"));
        Assert.True(Math.Abs(torch - int8) < 0.01 * torch, $"torch {torch}, int8 {int8}");
        var config = JsonDocument.Parse(File.ReadAllText(trained.Dir["onnx-int8/config.json"])).RootElement;
        Assert.Equal("int8", config.GetProperty("gptlab").GetProperty("quantize").GetString());
    }

    [Fact]
    public void A_gguf_export_is_one_file_and_is_never_overwritten_without_force()
    {
        var r = Gptlab("export", "--run", "runs/tiny", "--format", "gguf", "--quantize", "int8", "--out", "tiny.gguf");
        Assert.True(r.Exit == 0, r.Err);
        Assert.Contains("Q8_0", r.Out);
        long size = new FileInfo(trained.Dir["tiny.gguf"]).Length;
        var again = Gptlab("export", "--run", "runs/tiny", "--format", "gguf", "--out", "tiny.gguf");
        Assert.NotEqual(0, again.Exit);
        Assert.Contains("--force", again.Err);
        Assert.Equal(size, new FileInfo(trained.Dir["tiny.gguf"]).Length);
        Assert.True(Gptlab("export", "--run", "runs/tiny", "--format", "gguf", "--out", "tiny.gguf", "--force").Exit == 0);
        Assert.True(new FileInfo(trained.Dir["tiny.gguf"]).Length > size);   // F32 replaced Q8_0
    }

    [Theory]
    [InlineData("--engine onnx: the exported model folder", "sample", "--engine", "onnx")]
    [InlineData("not --run", "sample", "--engine", "onnx", "--run", "runs/tiny")]
    [InlineData("--model is for --engine onnx", "sample", "--run", "runs/tiny", "--model", "x")]
    [InlineData("no such folder", "sample", "--engine", "onnx", "--model", "nowhere")]
    [InlineData("has no config.json", "sample", "--engine", "onnx", "--model", "runs")]
    [InlineData("drop --no-cache", "sample", "--engine", "onnx", "--model", "onnx", "--no-cache")]
    [InlineData("needs --data", "eval", "--engine", "onnx", "--model", "onnx")]
    [InlineData("cannot spell", "sample", "--engine", "onnx", "--model", "onnx", "--prompt", "naïve €")]
    [InlineData("--quantize is for --format onnx or gguf", "export", "--run", "runs/tiny", "--quantize", "int8", "--out", "hf")]
    [InlineData("not empty", "export", "--run", "runs/tiny", "--format", "onnx", "--out", "runs")]
    public void Bad_onnx_input_is_one_clear_line(string expected, params string[] args)
    {
        Exported("onnx");
        var r = Gptlab(args);
        Assert.NotEqual(0, r.Exit);
        string err = r.Err.Trim();
        Assert.DoesNotContain("   at ", err);
        Assert.Single(err.Split('\n'));
        if (expected.StartsWith("--engine onnx:")) Assert.Contains("needs --model", err);
        else Assert.Contains(expected, err);
    }
}
