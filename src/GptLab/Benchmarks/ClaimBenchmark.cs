using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using GptLab.Runs;
using GptLab.Sweeps;

namespace GptLab.Benchmarks;

/// <summary>Claim throughput of a study storage: how many no-op trials N workers claim and complete per second.</summary>
public sealed record ClaimBench(string Storage, int Workers, int Trials, double Seconds, double ClaimsPerS, double P50Ms, double P99Ms, int DoubleClaims);

/// <summary>
/// `gptlab bench claims`: a study of <c>trials</c> no-op trials, <c>workers</c> threads each with its own connection
/// claiming and completing as fast as they can; latency of every claim, and a count of trials claimed twice.
/// </summary>
public static class ClaimBenchmark
{
    public static ClaimBench Run(StudyLocation at, int workers, int trials)
    {
        var values = new JsonArray(Enumerable.Range(0, trials).Select(i => (JsonNode?)JsonValue.Create(i)).ToArray());
        var spec = SweepSpec.Parse(new JsonObject { ["fixed"] = new JsonObject { ["max_iters"] = 1 }, ["parameters"] = new JsonObject { ["seed"] = values } });
        using (Study.Create(at, spec)) { }
        try { return Measure(at, workers, trials); }
        finally { Study.Delete(at); }   // the bench's no-op study is not left in the user's database or folder
    }

    private static ClaimBench Measure(StudyLocation at, int workers, int trials)
    {
        var latencies = new ConcurrentBag<double>();
        var claimed = new ConcurrentDictionary<long, int>();
        var clock = Stopwatch.StartNew();
        var threads = Enumerable.Range(0, workers).Select(w => new Thread(() =>
        {
            using var study = Study.Open(at);
            var sw = new Stopwatch();
            while (true)
            {
                sw.Restart();
                var t = study.Claim($"bench-{w}");
                latencies.Add(sw.Elapsed.TotalMilliseconds);
                if (t is null) break;
                claimed.AddOrUpdate(t.Id, 1, (_, n) => n + 1);
                study.Complete(t, 0, 0, 0, 0);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        double s = clock.Elapsed.TotalSeconds;
        var sorted = latencies.Order().ToArray();
        return new ClaimBench(at.ToString(), workers, trials, s, claimed.Count / s, Runs.Measure.Median(sorted), sorted[(int)Math.Min(sorted.Length - 1, Math.Ceiling(sorted.Length * 0.99) - 1)],
            claimed.Values.Count(n => n > 1) + (trials - claimed.Count));
    }
}
