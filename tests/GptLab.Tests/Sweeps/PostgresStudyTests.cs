using System.Diagnostics;
using GptLab.Sweeps;

namespace GptLab.Tests.Sweeps;

/// <summary>Studies in a real PostgreSQL server started by the tests: several studies per database, exactly-once
/// claims under contention and kills, and workers that ride out a lost connection.</summary>
public class PostgresStudyTests(PostgresServer pg) : IClassFixture<PostgresServer>
{
    private const string TinyFixed = """
        "n_layer": 1, "n_embd": 16, "n_head": 2, "block_size": 16, "batch_size": 4, "eval_iters": 1, "eval_interval": 2,
        "warmup_iters": 0, "sample_tokens": 0, "peak_flops": 1e11, "log_interval": 1
        """;

    private static SweepSpec Spec(string data, int trials, int iters) => SweepSpecTests.Spec($$"""
        { "data": "{{data}}", "heartbeat_timeout": 3, "fixed": { {{TinyFixed}}, "max_iters": {{iters}} },
          "parameters": { "learning_rate": [{{string.Join(", ", Enumerable.Range(1, trials).Select(i => (i * 1e-3).ToString("R", System.Globalization.CultureInfo.InvariantCulture)))}}] } }
        """);

    private static Process Worker(TempDir dir, string url, string study, string id) =>
        GptLabProcess.Start(dir.Path, ["sweep", "worker", "--study", study, "--artifacts", study, "--worker-id", id, "--threads", "1"], new() { ["GPTLAB_STORAGE"] = url });

    [Fact]
    public void Several_studies_share_a_database_and_an_existing_one_cannot_be_created_again()
    {
        using var dir = new TempDir();
        string url = pg.NewDatabase(), data = Tiny.CharDataset(dir, 8000);
        using (Study.Create(new StudyLocation(dir["a"], url, "a"), Spec(data, 3, 2))) { }
        using (Study.Create(new StudyLocation(dir["b"], url, "b"), Spec(data, 5, 2))) { }
        using (var a = Study.Open(new StudyLocation(dir["a"], url, "a"))) Assert.Equal(3, a.Trials().Count);
        using (var b = Study.Open(new StudyLocation(dir["b"], url, "b"))) Assert.Equal(5, b.Trials().Count);
        var e = Assert.Throws<GptLabException>(() => Study.Create(new StudyLocation(dir["a"], url, "a"), Spec(data, 3, 2)));
        Assert.Contains("already exists", e.Message);
        string secret = url.Replace("postgres@", "postgres:hunter2@", StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", new StudyLocation(dir["a"], secret, "a").ToString());
    }

    [Fact]
    public async Task Four_workers_and_a_kill_finish_every_trial_once_with_the_results_of_a_single_worker()
    {
        using var dir = new TempDir();
        string url = pg.NewDatabase(), data = Tiny.CharDataset(dir, 8000);
        var spec = Spec(data, 40, 6);
        using (Study.Create(new StudyLocation(dir["many"], url, "many"), spec)) { }
        using (Study.Create(new StudyLocation(dir["one"], url, "one"), spec)) { }

        var workers = Enumerable.Range(0, 4).Select(i => Worker(dir, url, "many", $"w{i}")).ToList();
        foreach (var w in workers) { _ = w.StandardOutput.ReadToEndAsync(); _ = w.StandardError.ReadToEndAsync(); }
        using (var watch = Study.Open(new StudyLocation(dir["many"], url, "many")))
        {
            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (!watch.Trials().Any(t => t.Worker == "w0" && t.Status == "running") && DateTime.UtcNow < deadline) await Task.Delay(20);
        }
        workers[0].Kill();                                                    // SIGKILL holding a trial
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        foreach (var w in workers.Skip(1)) await w.WaitForExitAsync(cts.Token);
        using var single = Worker(dir, url, "one", "solo");
        _ = single.StandardOutput.ReadToEndAsync();
        await single.WaitForExitAsync(cts.Token);

        using var many = Study.Open(new StudyLocation(dir["many"], url, "many"));
        using var one = Study.Open(new StudyLocation(dir["one"], url, "one"));
        Assert.All(many.Trials(), t => Assert.Equal("done", t.Status));
        Assert.Equal(40, many.Trials().Count);
        Assert.Contains(many.Trials(), t => t.Attempts == 2);                 // the killed worker's trial went to another
        foreach (var t in many.Trials())
        {
            var steps = new GptLab.Runs.RunDirectory(SweepWorker.TrialDir(dir["many"], t.ConfigId)).ReadMetrics().Where(m => m.Kind == "train").Select(m => m.Step);
            Assert.Equal(Enumerable.Range(1, 6), steps);                     // trained once: no step twice
        }
        static IEnumerable<(int, string, double?)> Results(IStudyStorage s) => s.Trials().OrderBy(t => t.ConfigId).Select(t => (t.ConfigId, t.Params.ToJson(), t.Metric));
        Assert.Equal(Results(one), Results(many));                            // the same report as one worker's
        Assert.Equal(one.Evals().Count, many.Evals().Count);
    }

    [Fact]
    public async Task A_worker_rides_out_a_lost_database_connection()
    {
        using var dir = new TempDir();
        string url = pg.NewDatabase(), data = Tiny.CharDataset(dir, 8000);
        using (Study.Create(new StudyLocation(dir["s"], url, "s"), Spec(data, 4, 40))) { }
        using var w = Worker(dir, url, "s", "w");
        var output = w.StandardOutput.ReadToEndAsync();
        var err = w.StandardError.ReadToEndAsync();
        using (var watch = Study.Open(new StudyLocation(dir["s"], url, "s")))
        {
            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (!watch.Trials().Any(t => t.Status == "running") && DateTime.UtcNow < deadline) await Task.Delay(20);
        }
        pg.Kill();                                                            // the connection drops mid-trial
        pg.Start();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await w.WaitForExitAsync(cts.Token);
        Assert.True(w.ExitCode == 0, await output + await err);
        using var s = Study.Open(new StudyLocation(dir["s"], url, "s"));
        Assert.All(s.Trials(), t => Assert.Equal("done", t.Status));
        Assert.All(s.Trials(), t => Assert.Equal(1, t.Attempts));
    }
}
