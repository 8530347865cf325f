using GptLab.Sweeps;

namespace GptLab.Tests.Sweeps;

public class SweepCliTests
{
    [Fact]
    public void A_small_sweep_runs_on_two_worker_processes_and_reports()
    {
        using var dir = new TempDir();
        string data = Tiny.CharDataset(dir, 8000);
        File.WriteAllText(dir["spec.json"], $$"""
            { "preset": "shakespeare-char-cpu", "data": "{{data}}", "method": "grid", "metric": "val_loss",
              "fixed": { "n_embd": 16, "n_head": 2, "block_size": 16, "batch_size": 4, "eval_iters": 2, "eval_interval": 4,
                         "warmup_iters": 1, "sample_tokens": 0, "peak_flops": 1e11 },
              "parameters": { "learning_rate": [1e-3, 1e-2], "n_layer": [1, 2], "dropout": [0.0] },
              "max_iters": 8 }
            """);
        var r = GptLabProcess.Run(dir.Path, "sweep", "spec.json", "--out", "sw", "--workers", "2");
        Assert.True(r.Exit == 0, r.Err + r.Out);
        using (var study = Study.Open(dir["sw"]))
        {
            var trials = study.Trials();
            Assert.Equal(4, trials.Count);
            Assert.All(trials, t => { Assert.Equal("done", t.Status); Assert.Equal(1, t.Attempts); Assert.True(t.Metric > 0); });
            Assert.Equal(2, trials.Select(t => t.Worker).Distinct().Count());
        }
        Assert.Equal(4, Directory.GetDirectories(dir["sw/trials"]).Length);
        var status = GptLabProcess.Run(dir.Path, "sweep", "status", "sw");
        Assert.Contains("4 done", status.Out);
        var rep = GptLabProcess.Run(dir.Path, "sweep", "report", "sw");
        Assert.True(rep.Exit == 0, rep.Err);
        foreach (var f in new[] { "trials.csv", "trials.md", "best.json", "importance.png", "parallel_coordinates.png", "curves_learning_rate.png", "val_loss_vs_n_layer.png" })
            Assert.True(File.Exists(dir[$"sw/report/{f}"]), f);
        Assert.Equal(5, File.ReadAllLines(dir["sw/report/trials.csv"]).Length);
        var train = GptLabProcess.Run(dir.Path, "train", "--config", "sw/report/best.json", "--out", "runs/best", "--set", "max_iters=2", "--samples", "0");
        Assert.True(train.Exit == 0, train.Err);
    }

    [Fact]
    public void A_halving_sweep_resumes_promoted_trials_from_their_checkpoints()
    {
        using var dir = new TempDir();
        string data = Tiny.CharDataset(dir, 8000);
        File.WriteAllText(dir["spec.json"], $$"""
            { "data": "{{data}}", "method": "halving", "phases": [ { "max_iters": 4 }, { "keep": 1, "max_iters": 8 } ],
              "fixed": { "n_layer": 1, "n_embd": 16, "n_head": 2, "block_size": 16, "batch_size": 4, "eval_iters": 2, "eval_interval": 2, "log_interval": 1,
                         "warmup_iters": 1, "sample_tokens": 0, "peak_flops": 1e11 },
              "parameters": { "learning_rate": [1e-4, 1e-2, 3e-2] } }
            """);
        var r = GptLabProcess.Run(dir.Path, "sweep", "spec.json", "--out", "sw", "--workers", "1");
        Assert.True(r.Exit == 0, r.Err + r.Out);
        using var study = Study.Open(dir["sw"]);
        var trials = study.Trials();
        Assert.Equal(4, trials.Count);
        var promoted = trials.Single(t => t.Phase == 1);
        var best0 = trials.Where(t => t.Phase == 0).MinBy(t => t.Metric)!;
        Assert.Equal(best0.ConfigId, promoted.ConfigId);
        var metrics = new GptLab.Runs.RunDirectory(SweepWorker.TrialDir(dir["sw"], promoted.ConfigId)).ReadMetrics().Where(m => m.Kind == "train").Select(m => m.Step).ToList();
        Assert.Equal(Enumerable.Range(1, 8), metrics);   // steps 1…8 once each: phase 1 continued from step 4
    }

    [Fact]
    public void A_bad_spec_fails_before_anything_runs()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["bad.json"], """{ "parameters": { "learning_rate": [] } }""");
        var r = GptLabProcess.Run(dir.Path, "sweep", "bad.json", "--out", "sw");
        Assert.NotEqual(0, r.Exit);
        Assert.Contains("empty list", r.Err);
        Assert.False(Directory.Exists(dir["sw"]));
    }
}
