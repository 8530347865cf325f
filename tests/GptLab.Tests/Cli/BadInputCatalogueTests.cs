namespace GptLab.Tests.Cli;

/// <summary>
/// A catalogue of bad inputs across every command, run against a folder that holds a dataset and a trained run:
/// each gets one `error: …` line and a non-zero exit, no stack trace, no hang, and nothing in the folder changes.
/// </summary>
public class BadInputCatalogueTests(TrainedRun trained) : IClassFixture<TrainedRun>
{
    public static TheoryData<string[], string> Cases => new()
    {
        { ["train", "--bogus"], "Unrecognized command or argument '--bogus'" },
        { ["train", "--set"], "--set" },
        { ["train", "--set", "optimizer=adam", "--data", "data"], "must be one of adamw, sgd, muon" },
        { ["train", "--set", "n_layer=0", "--data", "data"], "n_layer" },
        { ["train", "--set", "nlayer=2", "--data", "data"], "did you mean 'n_layer'" },
        { ["train", "--data", "data", "--out", "runs/tiny"], "already holds a run" },
        { ["train", "--resume", "runs/tiny", "--set", "n_embd=32"], "cannot change on resume" },
        { ["train", "--resume", "no/such/run"], "not a run folder" },
        { ["train", "--threads", "0"], "--threads must be ≥ 1" },
        { ["train", "--data", "data", "--set", "device=cuda"], "this GptLab is built with the CPU libtorch" },
        { ["train", "--data", "data", "--set", "device=tpu"], "must be cpu, cuda or cuda:N" },
        { ["train", "--data", "data", "--set", "dtype=fp8"], "must be one of float32, bfloat16, float16" },
        { ["train", "--data", "data", "--set", "attention=document"], "needs an end-of-text token" },
        { ["train", "--data", "data", "--set", "optimizer=muon", "--set", "muon_lr=0"], "muon_lr" },
        { ["train", "--samples", "-1"], "--samples must be ≥ 0" },
        { ["train", "--preset", "nope"], "no preset or config file 'nope'" },
        { ["eval", "--run", "runs/tiny", "--batch-size", "0"], "--batch-size must be ≥ 1" },
        { ["eval", "--run", "runs/tiny", "--batch-size", "-1"], "--batch-size must be ≥ 1" },
        { ["eval", "--run", "runs/tiny", "--stride", "0"], "--stride must be ≥ 1" },
        { ["eval", "--run", "runs/tiny", "--split", "test"], "test" },
        { ["eval"], "--run" },
        { ["sample", "--run", "runs/tiny", "--top-k", "-5"], "--top-k must be ≥ 0" },
        { ["sample", "--run", "runs/tiny", "--top-p", "0"], "--top-p must be in (0, 1]" },
        { ["sample", "--run", "runs/tiny", "--temperature", "-1"], "--temperature must be ≥ 0" },
        { ["sample", "--run", "runs/tiny", "--num-samples", "0"], "--num-samples must be ≥ 1" },
        { ["sample", "--run", "no/such/run"], "no such run folder" },
        { ["predict", "--run", "runs/tiny", "--prompt", "x", "--top", "0"], "--top must be ≥ 1" },
        { ["bench", "--iters", "0"], "--iters must be ≥ 1" },
        { ["bench", "--iters", "-3"], "--iters must be ≥ 1" },
        { ["bench", "--vocab", "0"], "--vocab must be ≥ 2" },
        { ["bench", "--dtype", "fp8"], "fp8" },
        { ["runs", "--root", "no/such/folder"], "no such folder" },
        { ["report", "data"], "not a run folder" },
        { ["prepare", "no/such/file.txt"], "no such file" },
        { ["prepare", "data.txt", "--out", "data"], "--force" },
        { ["prepare", "data.txt", "--tokenizer", "bpe", "--vocab-size", "10"], "--vocab-size must be ≥ 257" },
        { ["prepare", "data.txt", "--val-fraction", "1.5", "--out", "d2"], "--val-fraction" },
        { ["tokenizer", "train", "data.txt", "--vocab-size", "100", "--out", "t.json"], "--vocab-size must be ≥ 257" },
        { ["sweep", "no-such-spec.json"], "no such sweep spec" },
        { ["sweep", "status", "no/such/sweep"], "holds no sweep" },
        { ["compare", "--losses", "cross_entropy,l1", "--data", "data"], "must be one of cross_entropy, squentropy, mse, ce_mse" },
        { ["export", "--run", "runs/tiny"], "--out" },
        // nothing that is not the command's own output is written over without --force
        { ["export", "--run", "runs/tiny", "--out", "runs/tiny"], "is not empty and holds no earlier output of this command — pass --force" },
        { ["export", "--run", "runs/tiny", "--out", "data"], "pass --force" },
        { ["sample", "--run", "runs/tiny", "--output", "data/meta.json"], "--output data/meta.json already exists — pass --force" },
        { ["sample", "--run", "runs/tiny", "--output", "data"], "is a folder" },
        { ["predict", "--run", "runs/tiny", "--prompt", "x", "--chart", "data/meta.json"], "--chart data/meta.json already exists" },
        { ["report", "runs/tiny", "--out", "data"], "holds no earlier report" },
        { ["train", "--data", "data", "--out", "data"], "is not empty and holds no run" },
        { ["predict", "--run", "runs/tiny", "--prompt", "x", "--top", "abc"], "--top" },
        { ["serve", "--root", "no/such/folder", "--port", "0"], "no such folder" },
        { ["serve", "--root", "runs", "--port", "70000"], "--port must be between 0 and 65535" },
        { ["serve", "--root", "runs", "--port", "-1"], "--port must be between 0 and 65535" },
        { ["serve", "--root", "runs", "--host", "not a host", "--port", "0"], "--host must be an IP address" },
        { ["nonsense"], "Unrecognized command or argument 'nonsense'" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Bad_input_gets_one_error_line_a_nonzero_exit_and_changes_nothing(string[] args, string expected)
    {
        var before = Snapshot(trained.Dir.Path);
        var r = GptLabProcess.Run(trained.Dir.Path, args);
        Assert.NotEqual(0, r.Exit);
        var lines = r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one line on stderr, got:\n{r.Err}");
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(expected, lines[0]);
        Assert.DoesNotContain("   at ", r.Err + r.Out);
        Assert.Equal(before, Snapshot(trained.Dir.Path));
    }

    private static string Snapshot(string dir) => string.Join("\n", Directory.GetFiles(dir, "*", SearchOption.AllDirectories)
        .Where(f => !f.Contains("/.cache/"))
        .Order(StringComparer.Ordinal).Select(f => $"{Path.GetRelativePath(dir, f)} {new FileInfo(f).Length} {File.GetLastWriteTimeUtc(f).Ticks}"));
}
