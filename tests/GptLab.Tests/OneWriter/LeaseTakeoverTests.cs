using GptLab.Checkpoints;
using GptLab.Runs;
using GptLab.Sweeps;

namespace GptLab.Tests.OneWriter;

/// <summary>
/// A worker that is alive but silent (SIGSTOP, as a long GC pause, swap or a network split would be) loses its trial
/// to another worker; when it wakes it must stop, write nothing more, and the trial's curve must be the one an
/// uninterrupted worker draws — for SQLite and PostgreSQL studies alike.
/// </summary>
public class LeaseTakeoverTests(PostgresServer pg) : IClassFixture<PostgresServer>
{
    private static SweepSpec Spec(string data) => Sweeps.SweepSpecTests.Spec($$"""
        { "data": "{{data}}", "heartbeat_timeout": 2,
          "fixed": { "n_layer": 1, "n_embd": 16, "n_head": 2, "block_size": 16, "batch_size": 4, "eval_iters": 2, "eval_interval": 50,
                     "warmup_iters": 1, "sample_tokens": 8, "peak_flops": 1e11, "max_iters": 700, "log_interval": 1, "dropout": 0.1 },
          "parameters": { "learning_rate": [3e-3] } }
        """);

    [Fact]
    public Task A_paused_worker_that_lost_its_sqlite_trial_stops_and_the_curve_is_the_uninterrupted_one() =>
        PausedWorkerLosesItsTrial(storage: null);

    [Fact]
    public Task A_paused_worker_that_lost_its_postgres_trial_stops_and_the_curve_is_the_uninterrupted_one() =>
        PausedWorkerLosesItsTrial(storage: pg.NewDatabase());

    private static async Task PausedWorkerLosesItsTrial(string? storage)
    {
        using var dir = new TempDir();
        string data = Tiny.CharDataset(dir, 8000);
        var at = new StudyLocation(dir["s"], storage, storage is null ? null : "s");
        var reference = new StudyLocation(dir["r"], storage, storage is null ? null : "r");
        Study.Create(at, Spec(data)).Dispose();
        Study.Create(reference, Spec(data)).Dispose();
        var env = storage is null ? new Dictionary<string, string>() : new() { ["GPTLAB_STORAGE"] = storage };
        string[] Args(StudyLocation l, string id) => storage is null
            ? ["sweep", "worker", l.Artifacts, "--worker-id", id, "--threads", "1"]
            : ["sweep", "worker", "--study", l.Name!, "--artifacts", l.Artifacts, "--worker-id", id, "--threads", "1"];
        var trialDir = new RunDirectory(SweepWorker.TrialDir(at.Artifacts, 0));

        using var a = GptLabProcess.Start(dir.Path, Args(at, "A"), env);
        var aOut = new ProcessOutput(a);
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (TrainSteps(trialDir).Count < 60 && !a.HasExited && DateTime.UtcNow < deadline) await Task.Delay(10);   // past its first checkpoint
        Assert.True(TrainSteps(trialDir).Count >= 60, aOut.Text);
        using var b = GptLabProcess.Start(dir.Path, Args(at, "B"), env);
        var bOut = new ProcessOutput(b);
        ProcessOutput.Signal(a, "STOP");
        try
        {
            // B takes the trial once A has been silent for heartbeat_timeout, and waits for A's folder lock
            Assert.True(await bOut.WaitFor("waiting for process", TimeSpan.FromMinutes(1)), bOut.Text);
            using (var s = Study.Open(at)) Assert.Equal(("B", 2L), (s.Trials().Single().Worker, s.Trials().Single().Lease));
        }
        finally { ProcessOutput.Signal(a, "CONT"); }
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await a.WaitForExitAsync(cts.Token);
        await b.WaitForExitAsync(cts.Token);
        Assert.True(a.ExitCode == 0, aOut.Text);
        Assert.True(b.ExitCode == 0, bOut.Text);
        Assert.Contains("lost trial 0 to another worker", aOut.Text);
        Assert.Contains("wrote nothing more", aOut.Text);
        Assert.DoesNotContain("trial 0 phase 0: val_nll", aOut.Text);   // A reported no result
        // A stopped on waking (its lease fenced), not at the end of training: B resumed from a checkpoint mid-way
        var resumedAt = System.Text.RegularExpressions.Regex.Match(bOut.Text, @"resuming 0000 at step ([\d,]+)");
        Assert.True(resumedAt.Success, bOut.Text);
        int resumed = int.Parse(resumedAt.Groups[1].Value.Replace(",", ""));
        Assert.InRange(resumed, 50, 650);
        var stoppedAt = System.Text.RegularExpressions.Regex.Match(aOut.Text, @"stopped after step ([\d,]+)");   // where A was when it woke
        Assert.True(stoppedAt.Success, aOut.Text);
        Assert.InRange(int.Parse(stoppedAt.Groups[1].Value.Replace(",", "")), resumed, 699);

        using var solo = GptLabProcess.Start(dir.Path, Args(reference, "solo"), env);
        var soloOut = new ProcessOutput(solo);
        await solo.WaitForExitAsync(cts.Token);
        Assert.True(solo.ExitCode == 0, soloOut.Text);

        using var study = Study.Open(at);
        var trial = study.Trials().Single();
        Assert.Equal(("done", 2, "B"), (trial.Status, trial.Attempts, trial.Worker));
        var refDir = new RunDirectory(SweepWorker.TrialDir(reference.Artifacts, 0));
        Assert.Equal(Enumerable.Range(1, 700), TrainSteps(trialDir).Select(m => m.Step));   // no step twice, none out of order
        Assert.Equal(TrainSteps(refDir).Select(m => m.Loss), TrainSteps(trialDir).Select(m => m.Loss));   // the uninterrupted curve, bit for bit
        Assert.Equal(Evals(refDir), Evals(trialDir));
        Assert.Equal(File.ReadAllBytes(Path.Combine(refDir.LastCheckpoint, CheckpointStore.ModelFile)),
            File.ReadAllBytes(Path.Combine(trialDir.LastCheckpoint, CheckpointStore.ModelFile)));
        Assert.Equal(refDir.ReadSamples().Select(x => (x.Step, x.Text)), trialDir.ReadSamples().Select(x => (x.Step, x.Text)));
        Assert.Equal("finished", trialDir.ReadStatus()!.State);
    }

    private static List<MetricRecord> TrainSteps(RunDirectory run) => [.. run.ReadMetrics().Where(m => m.Kind == "train")];

    private static List<(int, double?)> Evals(RunDirectory run) => [.. run.ReadMetrics().Where(m => m.Kind == "eval").Select(m => (m.Step, m.ValNll))];
}
