using GptLab.Sweeps;

namespace GptLab.Tests.Sweeps;

public class ParetoFrontTests
{
    private static Trial T(int id, double metric, double seconds, string status = "done") =>
        new() { Id = id, ConfigId = id, Status = status, Metric = metric, WallS = seconds };

    [Fact]
    public void The_front_holds_the_trials_no_other_trial_beats_on_both_metric_and_time()
    {
        var trials = new[] { T(0, 2.0, 10), T(1, 1.8, 20), T(2, 1.9, 25), T(3, 1.5, 60), T(4, 2.1, 9), T(5, 1.5, 70), T(6, 1.0, 5, "pruned") };
        // 2 loses to 1 (better and faster); 5 to 3 (same metric, faster); pruned trials are not candidates
        Assert.Equal([4, 0, 1, 3], ParetoFront.Of(trials).Select(t => t.ConfigId));
        Assert.Equal(1, ParetoFront.FastestWithin(trials, 0.3)!.ConfigId);    // within 0.3 of 1.5: 1.8 at 20 s
        Assert.Equal(3, ParetoFront.FastestWithin(trials, 0)!.ConfigId);
        Assert.Equal(4, ParetoFront.FastestWithin(trials, 1)!.ConfigId);
        Assert.Null(ParetoFront.FastestWithin([], 1));
    }

    [Fact]
    public void A_sweep_with_two_objectives_draws_its_pareto_front_and_best_json_can_be_the_fastest_near_the_best()
    {
        using var dir = new TempDir();
        string data = Tiny.CharDataset(dir, 8000);
        File.WriteAllText(dir["spec.json"], $$"""
            { "data": "{{data}}", "method": "grid", "metrics": ["val_nll", "train_time"],
              "fixed": { "n_embd": 16, "n_head": 2, "block_size": 16, "batch_size": 4, "eval_iters": 2, "eval_interval": 4,
                         "warmup_iters": 1, "sample_tokens": 24, "peak_flops": 1e11 },
              "parameters": { "learning_rate": [3e-3, 1e-2], "n_layer": [1, 3] }, "max_iters": 8 }
            """);
        var r = GptLabProcess.Run(dir.Path, "sweep", "spec.json", "--out", "sw", "--workers", "1");
        Assert.True(r.Exit == 0, r.Err + r.Out);
        var rep = GptLabProcess.Run(dir.Path, "sweep", "report", "sw", "--fastest-within", "100");
        Assert.True(rep.Exit == 0, rep.Err);
        Assert.True(new FileInfo(dir["sw/report/pareto.png"]).Length > 5000);
        string md = File.ReadAllText(dir["sw/report/trials.md"]);
        Assert.Contains("## Pareto front: val_nll and training time", md);
        Assert.Contains("## Generated text at each loss level", md);
        using var study = Study.Open(dir["sw"]);
        var fastest = study.Trials().Where(t => t.Status == "done").MinBy(t => t.WallS)!;
        Assert.Contains($"config {fastest.ConfigId}", File.ReadAllText(dir["sw/report/best.json"]));
        Assert.Contains("Fastest within 100 of the best", md);
        var bad = GptLabProcess.Run(dir.Path, "sweep", "report", "sw", "--fastest-within", "-1");
        Assert.NotEqual(0, bad.Exit);
        Assert.Contains("--fastest-within must be a number ≥ 0", bad.Err);
    }

    [Fact]
    public void Metrics_takes_one_metric_and_train_time_and_refuses_anything_else()
    {
        using var dir = new TempDir();
        string data = Tiny.CharDataset(dir, 8000);
        var e = Assert.Throws<GptLabException>(() => SweepSpecTests.Spec($$"""{ "data": "{{data}}", "metrics": ["val_nll", "tokens_per_s"], "parameters": { "learning_rate": [1e-3] } }"""));
        Assert.Contains("metrics is [METRIC] or [METRIC, train_time]", e.Message);
        Assert.True(SweepSpecTests.Spec($$"""{ "data": "{{data}}", "metrics": ["perplexity", "train_time"], "parameters": { "learning_rate": [1e-3] } }""").TimeObjective);
    }
}
