using System.Collections.Concurrent;
using GptLab.Reports;
using GptLab.Sweeps;

namespace GptLab.Tests.Sweeps;

public class StudyTests
{
    [Fact]
    public void Halving_promotes_exactly_the_top_trials()
    {
        using var dir = new TempDir();
        var spec = SweepSpecTests.Spec("""{ "method": "halving", "phases": [ { "max_iters": 10 }, { "keep": 2, "max_iters": 30 } ], "parameters": { "dropout": [0.0, 0.1, 0.2, 0.3, 0.4, 0.5] } }""");
        using var study = Study.Create(dir.Path, spec);
        var metrics = new Dictionary<int, double> { [0] = 3.0, [1] = 1.5, [2] = 2.5, [3] = 1.2, [4] = 2.0, [5] = 4.0 };
        for (int i = 0; i < 6; i++)
        {
            var t = study.Claim("w")!;
            Assert.Equal(0, t.Phase);
            study.Complete(t, metrics[t.ConfigId], metrics[t.ConfigId], 1, 1);
        }
        var p1 = new[] { study.Claim("w")!, study.Claim("w")! };
        Assert.Null(study.Claim("w"));
        Assert.All(p1, t => Assert.Equal(1, t.Phase));
        Assert.All(p1, t => Assert.Equal(30, t.Iters));
        Assert.Equal([1, 3], p1.Select(t => t.ConfigId).Order().ToArray());
        foreach (var t in p1) study.Complete(t, 1, 1, 1, 1);
        Assert.False(study.HasWork());
    }

    [Fact]
    public async Task Concurrent_workers_never_run_a_trial_twice_even_when_some_die()
    {
        for (int round = 0; round < 5; round++)
        {
            using var dir = new TempDir();
            var spec = SweepSpecTests.Spec("""{ "heartbeat_timeout": 1, "max_attempts": 10, "parameters": { "learning_rate": [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30] } }""");
            Study.Create(dir.Path, spec).Dispose();
            var completions = new ConcurrentBag<(long Trial, string Worker)>();
            var rng = new Random(round);
            var deathPlan = Enumerable.Range(0, 4).Select(_ => rng.Next(1, 8)).ToArray();   // each worker dies at a random claim
            var workers = Enumerable.Range(0, 4).Select(w => Task.Run(() =>
            {
                for (int life = 0; life < 3; life++)
                {
                    string name = $"w{w}-{life}";
                    using var study = Study.Open(dir.Path);
                    int claims = 0;
                    while (study.HasWork())
                    {
                        var t = study.Claim(name);
                        if (t is null) { Thread.Yield(); continue; }                       // a promotion or a re-queue may follow
                        if (++claims == deathPlan[w] && life < 2) break;                  // dies holding the trial: no heartbeat, no result
                        Thread.SpinWait(rng.Next(0, 50_000));                                  // some work
                        study.Heartbeat(t);
                        if (study.Complete(t, 1, 1, 1, 1)) completions.Add((t.Id, name));   // accepted results only
                    }
                }
            })).ToArray();
            await Task.WhenAll(workers).WaitAsync(TimeSpan.FromMinutes(2));
            using var check = Study.Open(dir.Path);
            var trials = check.Trials();
            Assert.All(trials, t => Assert.Equal("done", t.Status));
            Assert.Equal(30, completions.Select(c => c.Trial).Distinct().Count());
            Assert.Equal(30, completions.Count);                                        // nobody ran a trial another finished
            Assert.Contains(trials, t => t.Attempts > 1);                                // dead workers' trials were re-queued
        }
    }

    [Fact]
    public void A_late_result_from_a_worker_that_lost_its_trial_is_ignored()
    {
        using var dir = new TempDir();
        var spec = SweepSpecTests.Spec("""{ "heartbeat_timeout": 0.2, "parameters": { "dropout": [0.0] } }""");
        using var study = Study.Create(dir.Path, spec);
        var t = study.Claim("slow")!;
        // "slow" sends no heartbeat: once the timeout passes, the trial is re-queued and "fast" takes it over
        var t2 = ClaimOnceSilent(study, "fast");
        Assert.Equal(t.Id, t2.Id);
        Assert.False(study.Heartbeat(t));                       // the slow worker learns it lost the trial
        Assert.False(study.Complete(t, 9, 9, 1, 1));
        Assert.True(study.Complete(t2, 1, 1, 1, 1));
        Assert.Equal(1, study.Trials().Single().Metric);
    }

    /// <summary>Claims the study's one trial once its holder has been silent for heartbeat_timeout.</summary>
    private static Trial ClaimOnceSilent(IStudyStorage study, string worker)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        Trial? t;
        while ((t = study.Claim(worker)) is null && DateTime.UtcNow < deadline) Thread.Yield();
        Assert.NotNull(t);
        return t;
    }

    [Fact]
    public void A_worker_that_reclaims_its_own_trial_fences_off_its_earlier_claim()
    {
        using var dir = new TempDir();
        var spec = SweepSpecTests.Spec("""{ "heartbeat_timeout": 0.2, "parameters": { "dropout": [0.0] } }""");
        using var study = Study.Create(dir.Path, spec);
        var first = study.Claim("w")!;
        var second = ClaimOnceSilent(study, "w");               // a restarted worker, same id
        Assert.Equal(first.Lease + 1, second.Lease);
        Assert.False(study.Heartbeat(first));                   // same worker name, older epoch: refused
        study.ReportEval(first, 5, 9, 9);
        Assert.Empty(study.Evals());
        Assert.False(study.Complete(first, 9, 9, 1, 1));
        Assert.True(study.Heartbeat(second));
        Assert.True(study.Complete(second, 1, 1, 1, 1));
        Assert.Equal(1, study.Trials().Single().Metric);
    }

    [Fact]
    public void A_lease_past_its_window_renews_and_throws_once_the_trial_is_someone_elses()
    {
        using var dir = new TempDir();
        var spec = SweepSpecTests.Spec("""{ "heartbeat_timeout": 0.4, "parameters": { "dropout": [0.0] } }""");
        using var study = Study.Create(dir.Path, spec);
        using var other = Study.Open(dir.Path);
        var held = study.Claim("a")!;
        using var lease = new TrialLease(study, held, 0.4);
        lease.Check();                                          // inside its window: allowed
        // another worker takes the trial over as the timeout allows once a holder falls silent (here: forced)
        Assert.Equal(1, other.RequeueSilent(-3600));
        Assert.NotNull(other.Claim("b"));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!lease.Lost.IsCancellationRequested && DateTime.UtcNow < deadline) lease.Lost.WaitHandle.WaitOne(50);
        Assert.True(lease.IsLost);                              // the timer's next beat found out
        var e = Assert.Throws<GptLab.Runs.LeaseLostException>(lease.Check);
        Assert.Contains("another worker", e.Message);
    }

    [Fact]
    public void Trials_csv_has_one_val_nll_column_when_the_metric_is_val_nll()
    {
        using var dir = new TempDir();
        var spec = SweepSpecTests.Spec("""{ "parameters": { "dropout": [0.0, 0.1, 0.2] } }""");
        using (var study = Study.Create(dir.Path, spec))
            for (int i = 0; i < 3; i++)
            {
                var t = study.Claim("w")!;
                study.ReportEval(t, 5, 2.0 + t.ConfigId, null);
                study.Complete(t, 1.5 + t.ConfigId, 1.5 + t.ConfigId, 1, 1);
            }
        SweepReport.Write(dir.Path);
        var lines = File.ReadAllLines(Path.Combine(dir.Path, "report", "trials.csv"));
        var header = lines[0].Split(',');
        Assert.Single(header, h => h == "val_nll");
        Assert.All(lines, l => Assert.Equal(header.Length, l.Split(',').Length));
    }

    [Fact]
    public void Importance_ranks_a_planted_strong_parameter_first()
    {
        var rng = new Random(3);
        var features = new List<double[]>();
        var label = new List<double>();
        for (int i = 0; i < 60; i++)
        {
            double a = rng.NextDouble(), b = rng.NextDouble(), c = rng.NextDouble();
            features.Add([a, b, c]);
            label.Add(0.1 * a + 5 * b + 0.05 * rng.NextDouble());
        }
        var imp = Importance.Compute(["weak", "strong", "noise"], features, label);
        Assert.Equal("strong", imp.OrderByDescending(x => x.Importance).First().Name);
        Assert.True(imp.Single(x => x.Name == "strong").Importance > 0.8);
    }
}
