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

    private static void Sql(string url, string sql)
    {
        using var c = new Npgsql.NpgsqlConnection(StudyUrl.ToConnectionString(url));
        c.Open();
        using var cmd = new Npgsql.NpgsqlCommand(sql, c);
        cmd.ExecuteNonQuery();
    }

    private static string As(string url, string role) => url.Replace("postgres@", $"{role}@", StringComparison.Ordinal);

    [Fact]
    public async Task Workers_and_readers_need_only_read_write_grants_once_the_tables_exist()
    {
        using var dir = new TempDir();
        string url = pg.NewDatabase(), data = Tiny.CharDataset(dir, 8000);
        string tag = Guid.NewGuid().ToString("N")[..8], worker = $"w{tag}", reader = $"r{tag}";
        Sql(url, $"CREATE ROLE {worker} LOGIN; CREATE ROLE {reader} LOGIN;");
        // a role that may not create tables cannot make the first study: one clear line, not "must be owner"
        File.WriteAllText(dir["spec.json"], Spec(data, 2, 2).Source.ToJsonString());
        var refused = GptLabProcess.Start(dir.Path, ["sweep", "spec.json", "--study", "s", "--artifacts", "s", "--workers", "0"], new() { ["GPTLAB_STORAGE"] = As(url, worker) });
        var refusedErr = await refused.StandardError.ReadToEndAsync();
        await refused.WaitForExitAsync();
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("may not create the study tables", refusedErr);

        using (Study.Create(new StudyLocation(dir["s"], url, "s"), Spec(data, 2, 2))) { }   // the owner makes the tables, once
        Sql(url, $"""
            GRANT SELECT, INSERT, UPDATE ON gptlab_studies, gptlab_trials, gptlab_evals TO {worker};
            GRANT USAGE ON SEQUENCE gptlab_trials_id_seq TO {worker};
            GRANT SELECT ON gptlab_studies, gptlab_trials, gptlab_evals TO {reader};
            """);
        using var w = Worker(dir, As(url, worker), "s", "w");
        var wOut = w.StandardOutput.ReadToEndAsync();
        var wErr = w.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await w.WaitForExitAsync(cts.Token);
        Assert.True(w.ExitCode == 0, await wOut + await wErr);
        var status = GptLabProcess.Start(dir.Path, ["sweep", "status", "--study", "s"], new() { ["GPTLAB_STORAGE"] = As(url, reader) });
        var statusOut = status.StandardOutput.ReadToEndAsync();
        var statusErr = status.StandardError.ReadToEndAsync();
        await status.WaitForExitAsync(cts.Token);
        Assert.True(status.ExitCode == 0, await statusErr);
        Assert.Contains("done", await statusOut);
        using var s = Study.Open(new StudyLocation(dir["s"], As(url, reader), "s"));
        Assert.All(s.Trials(), t => Assert.Equal("done", t.Status));
    }

    [Theory]
    [InlineData("p{a}^s|s")]
    [InlineData("we@ir/d:pw")]
    [InlineData("pct%7Benc%7D")]
    public async Task A_password_with_any_characters_is_never_printed(string password)
    {
        using var dir = new TempDir();
        string url = pg.NewDatabase(), data = Tiny.CharDataset(dir, 8000);
        string secret = url.Replace("postgres@", $"postgres:{password}@", StringComparison.Ordinal);
        Assert.DoesNotContain(password, StudyUrl.Mask(secret));
        Assert.Contains("***", StudyUrl.Mask(secret));
        Assert.DoesNotContain(Uri.UnescapeDataString(password), StudyUrl.Scrub($"failed for {Uri.UnescapeDataString(password)} at {secret}", secret));
        File.WriteAllText(dir["spec.json"], Spec(data, 1, 2).Source.ToJsonString());
        foreach (var args in new[]
        {
            new[] { "sweep", "spec.json", "--storage", secret, "--study", "s", "--artifacts", "s", "--workers", "1", "--threads", "1" },
            ["sweep", "report", "--storage", secret, "--study", "s", "--artifacts", "s"],
            ["sweep", "status", "--storage", secret.Replace($":{pg.Port}/", ":1/", StringComparison.Ordinal), "--study", "s"],   // an error naming the storage
        })
        {
            using var p = GptLabProcess.Start(dir.Path, args);
            var output = p.StandardOutput.ReadToEndAsync();
            var err = p.StandardError.ReadToEndAsync();
            using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await p.WaitForExitAsync(cts.Token);
            Assert.DoesNotContain(password, await output + await err);
        }
        Assert.DoesNotContain(password, File.ReadAllText(dir["s/report/best.json"]));
        Assert.Contains("***", File.ReadAllText(dir["s/report/best.json"]));
    }

    [Fact]
    public void The_claims_benchmark_leaves_no_study_in_the_users_database()
    {
        using var dir = new TempDir();
        string url = pg.NewDatabase();
        var r = GptLabProcess.Run(dir.Path, "bench", "claims", "--storage", url, "--trials", "40", "--workers", "2");
        Assert.True(r.Exit == 0, r.Err);
        Assert.Contains("40 claims", r.Out);
        Assert.Contains("0 double", r.Out.Replace("double or lost claims: 0", "0 double", StringComparison.Ordinal));
        using var c = new Npgsql.NpgsqlConnection(StudyUrl.ToConnectionString(url));
        c.Open();
        using var cmd = new Npgsql.NpgsqlCommand("SELECT (SELECT COUNT(*) FROM gptlab_studies) + (SELECT COUNT(*) FROM gptlab_trials)", c);
        Assert.Equal(0L, Convert.ToInt64(cmd.ExecuteScalar()));
    }
    [Fact]
    public void A_tpe_study_in_postgresql_has_two_workers_sample_and_train_each_trial_once()
    {
        using var dir = new TempDir();
        string url = pg.NewDatabase(), data = Tiny.CharDataset(dir, 8000);
        File.WriteAllText(dir["spec.json"], $$"""
            { "data": "{{data}}", "method": "tpe", "max_trials": 8, "n_startup_trials": 3, "pruner": { "type": "asha", "min_iters": 2, "reduction_factor": 2 },
              "fixed": { {{TinyFixed}}, "max_iters": 4 },
              "parameters": { "learning_rate": { "log_uniform": [1e-5, 3e-2] }, "dropout": { "uniform": [0, 0.2] } } }
            """);
        var r = GptLabProcess.Run(dir.Path, ["sweep", "spec.json", "--storage", url, "--study", "t", "--artifacts", "t", "--workers", "2", "--threads", "1"]);
        Assert.True(r.Exit == 0, r.Err + r.Out);
        using var study = Study.Open(new StudyLocation(dir["t"], url, "t"));
        var trials = study.Trials();
        Assert.Equal(8, trials.Count);
        Assert.Equal(Enumerable.Range(0, 8), trials.Select(t => t.ConfigId).Order());
        Assert.All(trials, t => { Assert.Contains(t.Status, new[] { "done", "pruned" }); Assert.Equal(1, t.Attempts); });
        Assert.Equal(2, trials.Select(t => t.Worker).Distinct().Count());
        // every pruned trial stopped at an ASHA rung (2 or 4) with the reason recorded
        Assert.All(trials.Where(t => t.Status == "pruned"), t => Assert.Contains("pruned at rung", t.Error));
    }
}
