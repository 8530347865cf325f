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
            { "preset": "shakespeare-char-cpu", "data": "{{data}}", "method": "grid", "metric": "val_nll",
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
        foreach (var f in new[] { "trials.csv", "trials.md", "best.json", "importance.png", "parallel_coordinates.png", "curves_learning_rate.png", "val_nll_vs_n_layer.png" })
            Assert.True(File.Exists(dir[$"sw/report/{f}"]), f);
        Assert.Equal(5, File.ReadAllLines(dir["sw/report/trials.csv"]).Length);
        var train = GptLabProcess.Run(dir.Path, "train", "--config", "sw/report/best.json", "--out", "runs/best", "--set", "max_iters=2", "--samples", "0");
        Assert.True(train.Exit == 0, train.Err);
    }

    [Fact]
    public void A_sweep_over_a_built_in_dataset_prepares_it_with_no_prepare_step()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["spec.json"], """
            { "data": "data/shakespeare-char", "method": "grid",
              "fixed": { "n_layer": 1, "n_embd": 16, "n_head": 2, "block_size": 16, "batch_size": 4, "eval_iters": 1, "eval_interval": 2,
                         "sample_tokens": 0, "peak_flops": 1e11, "max_iters": 2 },
              "parameters": { "learning_rate": [1e-3, 1e-2] } }
            """);
        var r = GptLabProcess.Run(dir.Path, "sweep", "spec.json", "--out", "sw", "--workers", "2");
        Assert.True(r.Exit == 0, r.Err + r.Out);
        Assert.True(File.Exists(dir["data/shakespeare-char/meta.json"]));
        Assert.Contains("best: config", r.Out);
        using var study = Study.Open(dir["sw"]);
        Assert.All(study.Trials(), t => Assert.Equal("done", t.Status));
    }

    [Fact]
    public void A_sweep_whose_trials_all_fail_exits_nonzero_with_the_first_error()
    {
        using var dir = new TempDir();
        string data = Tiny.CharDataset(dir, 8000);
        File.WriteAllText(dir["spec.json"], $$"""
            { "data": "{{data}}", "fixed": { "n_layer": 1, "n_embd": 16, "n_head": 2, "block_size": 16, "batch_size": 4, "eval_iters": 1,
                         "sample_tokens": 0, "peak_flops": 1e11, "max_iters": 2, "learning_rate": 1e30, "grad_clip": 0 },
              "parameters": { "seed": [1, 2] } }
            """);
        var r = GptLabProcess.Run(dir.Path, "sweep", "spec.json", "--out", "sw", "--workers", "1");
        Assert.NotEqual(0, r.Exit);
        Assert.Contains("every trial failed", r.Err);
    }

    [Fact]
    public void Workers_zero_creates_the_study_and_negative_counts_write_nothing()
    {
        using var dir = new TempDir();
        string data = Tiny.CharDataset(dir, 8000);
        File.WriteAllText(dir["spec.json"], $$"""{ "data": "{{data}}", "fixed": { "max_iters": 2 }, "parameters": { "seed": [1, 2] } }""");
        var bad = GptLabProcess.Run(dir.Path, "sweep", "spec.json", "--out", "neg", "--workers", "-1");
        Assert.NotEqual(0, bad.Exit);
        Assert.False(Directory.Exists(dir["neg"]));
        var zero = GptLabProcess.Run(dir.Path, "sweep", "spec.json", "--out", "sw", "--workers", "0");
        Assert.True(zero.Exit == 0, zero.Err);
        using var study = Study.Open(dir["sw"]);
        Assert.All(study.Trials(), t => Assert.Equal("queued", t.Status));
        // a folder that holds something else (here: the dataset) is not a new sweep's home
        var full = GptLabProcess.Run(dir.Path, "sweep", "spec.json", "--out", data, "--workers", "0");
        Assert.NotEqual(0, full.Exit);
        Assert.Contains("is not empty and holds no sweep", full.Err);
        Assert.False(File.Exists(Path.Combine(data, Study.FileName)));
    }

    [Fact]
    public async Task Killing_the_main_sweep_process_takes_its_workers_along_and_resume_trains_no_trial_twice()
    {
        using var dir = new TempDir();
        string data = Tiny.CharDataset(dir, 8000);
        File.WriteAllText(dir["spec.json"], $$"""
            { "data": "{{data}}", "heartbeat_timeout": 30,
              "fixed": { "n_layer": 1, "n_embd": 16, "n_head": 2, "block_size": 16, "batch_size": 4, "eval_iters": 2, "eval_interval": 10,
                         "warmup_iters": 1, "sample_tokens": 0, "peak_flops": 1e11, "max_iters": 150, "log_interval": 1 },
              "parameters": { "learning_rate": [1e-3, 2e-3, 3e-3, 4e-3] } }
            """);
        using var main = GptLabProcess.Start(dir.Path, "sweep", "spec.json", "--out", "sw", "--workers", "2");
        _ = main.StandardOutput.ReadToEndAsync();
        _ = main.StandardError.ReadToEndAsync();
        // wait until both workers hold a trial that has trained some steps
        var deadline = DateTime.UtcNow.AddMinutes(2);
        bool Training() => Study.Exists(dir["sw"]) && Directory.Exists(dir["sw/trials"]) &&
            Directory.GetDirectories(dir["sw/trials"]).Count(t => File.Exists(Path.Combine(t, "metrics.jsonl")) && new FileInfo(Path.Combine(t, "metrics.jsonl")).Length > 0) >= 2;
        while (!Training() && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.True(Training(), "the workers never started training");
        main.Kill();   // SIGKILL the main process only

        // its workers stop too: each saves its trial's checkpoint and puts the trial back in the queue
        using (var study = Study.Open(dir["sw"]))
        {
            while (study.Trials().Any(t => t.Status == "running") && DateTime.UtcNow < deadline.AddMinutes(1)) await Task.Delay(100);
            Assert.DoesNotContain(study.Trials(), t => t.Status == "running");
            Assert.Contains(study.Trials(), t => t.Status == "queued");   // released, not finished by orphaned workers
        }
        var r = GptLabProcess.Run(dir.Path, "sweep", "resume", "sw", "--workers", "2");
        Assert.True(r.Exit == 0, r.Err + r.Out);
        using var done = Study.Open(dir["sw"]);
        Assert.All(done.Trials(), t => Assert.Equal("done", t.Status));
        foreach (var t in done.Trials())
        {
            var steps = new GptLab.Runs.RunDirectory(SweepWorker.TrialDir(dir["sw"], t.ConfigId)).ReadMetrics().Where(m => m.Kind == "train").Select(m => m.Step).ToList();
            Assert.Equal(Enumerable.Range(1, 150), steps);   // each step once: no trial was trained by two processes
        }
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

    [Theory]
    [InlineData(3)]
    [InlineData(25)]
    public async Task A_worker_killed_mid_trial_has_its_trial_requeued_and_finished_once(int killAfterSteps)
    {
        using var dir = new TempDir();
        string data = Tiny.CharDataset(dir, 8000);
        var spec = SweepSpecTests.Spec($$"""
            { "data": "{{data}}", "heartbeat_timeout": 2,
              "fixed": { "n_layer": 1, "n_embd": 16, "n_head": 2, "block_size": 16, "batch_size": 4, "eval_iters": 2, "eval_interval": 10,
                         "warmup_iters": 1, "sample_tokens": 0, "peak_flops": 1e11, "max_iters": 40, "log_interval": 1 },
              "parameters": { "learning_rate": [1e-3, 2e-3, 3e-3, 4e-3, 5e-3, 6e-3] } }
            """);
        Study.Create(dir["sw"], spec).Dispose();
        using var a = GptLabProcess.Start(dir.Path, "sweep", "worker", "sw", "--worker-id", "A", "--threads", "1");
        using var b = GptLabProcess.Start(dir.Path, "sweep", "worker", "sw", "--worker-id", "B", "--threads", "1");
        _ = a.StandardOutput.ReadToEndAsync();
        var bOut = b.StandardOutput.ReadToEndAsync();
        // wait until A has trained killAfterSteps steps of a trial (its own metrics say so), then kill it
        var deadline = DateTime.UtcNow.AddMinutes(2);
        int StepsOfA()
        {
            using var s = Study.Open(dir["sw"]);
            var held = s.Trials().FirstOrDefault(t => t.Worker == "A" && t.Status == "running");
            return held is null ? 0 : new GptLab.Runs.RunDirectory(SweepWorker.TrialDir(dir["sw"], held.ConfigId)).ReadMetrics().Count(m => m.Kind == "train");
        }
        while (StepsOfA() < killAfterSteps && DateTime.UtcNow < deadline) await Task.Delay(20);
        a.Kill();                                   // SIGKILL: no checkpoint, no goodbye
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await b.WaitForExitAsync(cts.Token);
        Assert.True(b.ExitCode == 0, await bOut);
        using var study = Study.Open(dir["sw"]);
        var trials = study.Trials();
        Assert.Equal(6, trials.Count);
        Assert.All(trials, t => Assert.Equal("done", t.Status));
        Assert.All(trials, t => Assert.True(t.Attempts <= 2));
        foreach (var t in trials)
        {
            var run = new GptLab.Runs.RunDirectory(SweepWorker.TrialDir(dir["sw"], t.ConfigId));
            Assert.Equal(40, GptLab.Checkpoints.CheckpointStore.ReadManifest(run.LastCheckpoint).Step);
            var steps = run.ReadMetrics().Where(m => m.Kind == "train").Select(m => m.Step).ToList();
            Assert.Equal(Enumerable.Range(1, 40), steps);   // each step once, even for the re-queued trial
        }
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
    [Fact]
    public void A_tpe_sweep_samples_its_trials_one_by_one_on_two_workers_up_to_max_trials()
    {
        using var dir = new TempDir();
        string data = Tiny.CharDataset(dir, 8000);
        File.WriteAllText(dir["spec.json"], $$"""
            { "data": "{{data}}", "method": "tpe", "max_trials": 6, "n_startup_trials": 3, "seed": 4,
              "fixed": { "n_embd": 16, "n_head": 2, "block_size": 16, "batch_size": 4, "eval_iters": 2, "eval_interval": 3,
                         "warmup_iters": 1, "sample_tokens": 0, "peak_flops": 1e11 },
              "parameters": { "learning_rate": { "log_uniform": [1e-4, 3e-2] }, "n_layer": { "int": [1, 2] }, "dropout": [0.0, 0.1] },
              "max_iters": 6 }
            """);
        using (var created = Study.Create(dir["sw"], SweepSpec.Load(dir["spec.json"])))
            Assert.Empty(created.Trials());   // nothing is queued up front: each trial is sampled when a worker asks
        Directory.Delete(dir["sw"], true);
        var r = GptLabProcess.Run(dir.Path, "sweep", "spec.json", "--out", "sw", "--workers", "2");
        Assert.True(r.Exit == 0, r.Err + r.Out);
        using var study = Study.Open(dir["sw"]);
        var trials = study.Trials();
        Assert.Equal(6, trials.Count);
        Assert.Equal([0, 1, 2, 3, 4, 5], trials.Select(t => t.ConfigId).Order());
        Assert.All(trials, t =>
        {
            Assert.Equal("done", t.Status);
            Assert.InRange(t.Params.Values["learning_rate"]!.GetValue<double>(), 1e-4, 3e-2);
            Assert.InRange(t.Params.Values["n_layer"]!.GetValue<long>(), 1, 2);
        });
        Assert.Equal(6, trials.Select(t => t.Params.ToJson()).Distinct().Count());
        var status = GptLabProcess.Run(dir.Path, "sweep", "status", "sw");
        Assert.Contains("6 done, 0 running, 0 queued, 0 to sample", status.Out);
    }

    [Fact]
    public void A_median_pruner_stops_a_hopeless_trial_which_keeps_its_run_and_shows_as_pruned()
    {
        using var dir = new TempDir();
        string data = Tiny.CharDataset(dir, 8000);
        // trial 0 learns (lr 3e-2); trial 1 barely moves (lr 1e-6): at its first evaluation after step 0 it is worse
        // than trial 0 was there, and the median pruner (one start-up trial) stops it
        File.WriteAllText(dir["spec.json"], $$"""
            { "data": "{{data}}", "method": "grid", "pruner": { "type": "median", "n_startup_trials": 1 },
              "fixed": { "n_layer": 1, "n_embd": 16, "n_head": 2, "block_size": 16, "batch_size": 8, "eval_iters": 4, "eval_interval": 3,
                         "warmup_iters": 1, "sample_tokens": 0, "peak_flops": 1e11 },
              "parameters": { "learning_rate": [3e-2, 1e-6] }, "max_iters": 12 }
            """);
        var r = GptLabProcess.Run(dir.Path, "sweep", "spec.json", "--out", "sw", "--workers", "1");
        Assert.True(r.Exit == 0, r.Err + r.Out);
        using (var study = Study.Open(dir["sw"]))
        {
            var trials = study.Trials();
            Assert.Equal("done", trials[0].Status);
            Assert.Equal("pruned", trials[1].Status);
            Assert.Contains("pruned at step 3", trials[1].Error);
            Assert.True(trials[1].ValNll > 0);
            Assert.Contains(study.Evals(), e => e.ConfigId == 1 && e.Step == 3);
            Assert.DoesNotContain(study.Evals(), e => e.ConfigId == 1 && e.Step > 3);
        }
        Assert.True(File.Exists(dir["sw/trials/0001/checkpoints/last/manifest.json"]));
        Assert.Contains("pruned at step 3", r.Out);
        var status = GptLabProcess.Run(dir.Path, "sweep", "status", "sw");
        Assert.Contains("1 done, 1 pruned, 0 running", status.Out);
        var rep = GptLabProcess.Run(dir.Path, "sweep", "report", "sw");
        Assert.True(rep.Exit == 0, rep.Err);
        Assert.Contains("| pruned |", File.ReadAllText(dir["sw/report/trials.md"]));
    }

    [Fact]
    public void An_unknown_pruner_is_refused_with_the_allowed_ones()
    {
        using var dir = new TempDir();
        string data = Tiny.CharDataset(dir, 8000);
        File.WriteAllText(dir["spec.json"], $$"""{ "data": "{{data}}", "method": "tpe", "max_trials": 3, "pruner": { "type": "hyperband" }, "parameters": { "learning_rate": [1e-3] } }""");
        var r = GptLabProcess.Run(dir.Path, "sweep", "spec.json", "--out", "sw");
        Assert.NotEqual(0, r.Exit);
        Assert.Contains("pruner.type must be one of none, median, asha; got 'hyperband'", r.Err);
        Assert.False(Directory.Exists(dir["sw"]));
    }
}
