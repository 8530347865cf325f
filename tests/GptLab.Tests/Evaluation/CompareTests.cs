namespace GptLab.Tests.Evaluation;

public class CompareTests
{
    [Fact]
    public void Compare_trains_one_model_per_loss_and_writes_the_report()
    {
        using var dir = new TempDir();
        string data = Tiny.CharDataset(dir, 8000);
        var r = GptLabProcess.Run(dir.Path, "compare", "--data", data, "--losses", "cross_entropy,squentropy", "--out", "study",
            "--set", "n_layer=1", "--set", "n_head=2", "--set", "n_embd=16", "--set", "block_size=16", "--set", "batch_size=4",
            "--set", "max_iters=6", "--set", "eval_interval=3", "--set", "eval_iters=2", "--set", "threads=1", "--set", "peak_flops=1e11");
        Assert.True(r.Exit == 0, r.Err);
        var report = File.ReadAllText(dir["study/report.md"]);
        var rows = report.Split('\n').Where(l => l.StartsWith("| cross_entropy") || l.StartsWith("| squentropy")).ToList();
        Assert.Equal(2, rows.Count);
        foreach (var row in rows)
        {
            var cells = row.Split('|', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            Assert.All(cells[1..5], c => Assert.True(double.TryParse(c, System.Globalization.CultureInfo.InvariantCulture, out double v) && double.IsFinite(v), row));
        }
        Assert.Contains("val_nll.png", report);
        Assert.True(new FileInfo(dir["study/val_nll.png"]).Length > 5000);
        Assert.Equal(3, File.ReadAllLines(dir["study/results.csv"]).Length);
        Assert.True(File.Exists(dir["study/squentropy/eval.json"]));
    }

    [Fact]
    public void Compare_fits_the_evaluation_interval_so_each_curve_has_at_least_ten_points()
    {
        using var dir = new TempDir();
        string data = Tiny.CharDataset(dir, 8000);
        // the preset evaluates every 250 iterations: at max_iters 30 that would be points at 0 and 30 only
        var r = GptLabProcess.Run(dir.Path, "compare", "--data", data, "--losses", "cross_entropy", "--out", "study",
            "--set", "n_layer=1", "--set", "n_head=2", "--set", "n_embd=16", "--set", "block_size=16", "--set", "batch_size=4",
            "--set", "max_iters=30", "--set", "eval_iters=1", "--set", "threads=1", "--set", "peak_flops=1e11");
        Assert.True(r.Exit == 0, r.Err);
        Assert.Contains("eval_interval 250 → 3", r.Out);
        int evals = File.ReadLines(dir["study/cross_entropy/metrics.jsonl"]).Count(l => l.Contains("\"kind\":\"eval\""));
        Assert.True(evals >= 10, $"{evals} evaluations");
        var report = File.ReadAllText(dir["study/report.md"]);
        Assert.Contains("val NLL (whole split)", report);
        Assert.Contains("estimates made during training", report);
    }

    [Fact]
    public void Compare_rejects_an_unknown_loss_before_training()
    {
        using var dir = new TempDir();
        var r = GptLabProcess.Run(dir.Path, "compare", "--losses", "cross_entropy,hinge", "--out", "x");
        Assert.NotEqual(0, r.Exit);
        Assert.Contains("hinge", r.Err);
        Assert.False(Directory.Exists(dir["x"]));
    }
}
