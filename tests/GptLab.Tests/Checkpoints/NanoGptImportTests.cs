using System.Text.Json;
using GptLab.Checkpoints;
using static TorchSharp.torch;

namespace GptLab.Tests.Checkpoints;

/// <summary>A checkpoint made by nanoGPT's own model.py and train.py loop (Fixtures/make_nanogpt_checkpoint.py).</summary>
public class NanoGptImportTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "nanogpt", name);

    [Theory]
    [InlineData("ckpt.pt")]
    [InlineData("ckpt_compiled.pt")]   // names prefixed with _orig_mod. by torch.compile
    public void A_nanoGPT_checkpoint_imports_to_the_same_logits(string file)
    {
        using var dir = new TempDir();
        var r = NanoGptImport.Import(Fixture(file), dir["ck"], Fixture("meta.pkl"), force: false);
        var expected = JsonDocument.Parse(File.ReadAllText(Fixture("logits.json"))).RootElement;
        Assert.Equal(expected.GetProperty("iter_num").GetInt32(), r.Step);
        Assert.Equal(expected.GetProperty("best_val_loss").GetDouble(), r.BestValLoss, 5);
        using var ck = CheckpointStore.Load(dir["ck"]);
        var ids = expected.GetProperty("input").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        Assert.Equal(ids, ck.Tokenizer.Encode("First Citizen:\n").Select(i => (long)i));   // meta.pkl's vocabulary
        ck.Model.eval();
        using var _ = no_grad();
        using var logits = ck.Model.forward(tensor(ids, [1, ids.Length]));
        var want = expected.GetProperty("logits").EnumerateArray().SelectMany(row => row.EnumerateArray().Select(v => (float)v.GetDouble())).ToArray();
        var got = logits.reshape(-1).data<float>().ToArray();
        Assert.Equal(want.Length, got.Length);
        for (int i = 0; i < want.Length; i++) Assert.True(Math.Abs(want[i] - got[i]) < 1e-5, $"logit {i}: {want[i]} vs {got[i]}");
        // nanoGPT's generate with top_k=1 (its RNG can't be replayed here; the greedy path can), 50 tokens past its block
        var greedy = GptLab.Sampling.Sampler.Generate(ck.Model, ids.Select(i => (int)i).ToArray(), 1,
            new GptLab.Sampling.SamplingOptions { MaxNewTokens = 50, Temperature = 0, Window = GptLab.Sampling.WindowMode.Slide })[0];
        Assert.Equal(expected.GetProperty("greedy").EnumerateArray().Select(e => e.GetInt32()), greedy);
    }

    [Fact]
    public void The_import_command_prints_what_it_read_and_refuses_to_overwrite()
    {
        using var dir = new TempDir();
        var r = GptLabProcess.Run(dir.Path, "import", Fixture("ckpt.pt"), "--meta", Fixture("meta.pkl"), "--out", "ck");
        Assert.True(r.Exit == 0, r.Err);
        Assert.Contains("iteration 20", r.Out);
        var again = GptLabProcess.Run(dir.Path, "import", Fixture("ckpt.pt"), "--meta", Fixture("meta.pkl"), "--out", "ck");
        Assert.NotEqual(0, again.Exit);
        Assert.Contains("--force", again.Err);
        var sample = GptLabProcess.Run(dir.Path, "sample", "--checkpoint", "ck", "--max-new-tokens", "20", "--prompt", "ROMEO:");
        Assert.True(sample.Exit == 0, sample.Err);
        var noMeta = GptLabProcess.Run(dir.Path, "import", Fixture("ckpt.pt"), "--out", "ck2");
        Assert.Contains("--meta", noMeta.Err);
    }

    [Fact]
    public void Its_dataset_imports_too_and_evaluates_to_nanoGPTs_val_loss_then_fine_tunes()
    {
        using var dir = new TempDir();
        var r = GptLabProcess.Run(dir.Path, "import", Fixture("ckpt.pt"), "--meta", Fixture("meta.pkl"), "--out", "ck", "--data-out", "data/sc");
        Assert.True(r.Exit == 0, r.Err);
        var eval = GptLabProcess.Run(dir.Path, "eval", "--checkpoint", "ck", "--json");   // the checkpoint knows its data
        Assert.True(eval.Exit == 0, eval.Err);
        double nll = JsonDocument.Parse(eval.Out).RootElement.GetProperty("nll").GetDouble();
        double expected = JsonDocument.Parse(File.ReadAllText(Fixture("logits.json"))).RootElement.GetProperty("val_nll").GetDouble();
        Assert.Equal(expected, nll, 4);
        var tune = GptLabProcess.Run(dir.Path, "train", "--data", "data/sc", "--out", "runs/ft", "--set", "init_from=ck", "--set", "max_iters=2",
            "--set", "eval_iters=1", "--set", "batch_size=2", "--set", "sample_tokens=0", "--set", "peak_flops=1e11", "--samples", "0");
        Assert.True(tune.Exit == 0, tune.Err);
    }
}
