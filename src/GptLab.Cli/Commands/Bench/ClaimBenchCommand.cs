using System.CommandLine;
using System.Text.Json;
using GptLab.Benchmarks;
using GptLab.IO;

namespace GptLab.Cli.Commands.Bench;

/// <summary><c>gptlab bench claims</c>: claim throughput of a study storage.</summary>
internal static class ClaimBenchCommand
{
    public static Command Create()
    {
        var storage = new Option<string?>("--storage") { Description = "postgresql://… (a study named gptlab-bench-claims-<time> is made in it and deleted after) or omit for SQLite in a temporary folder" };
        var workers = (new Option<int>("--workers") { Description = "claiming threads, each with its own connection", DefaultValueFactory = _ => 8 }).AtLeast(1);
        var trials = (new Option<int>("--trials") { Description = "no-op trials to claim", DefaultValueFactory = _ => 10000 }).AtLeast(1);
        var json = new Option<bool>("--json") { Description = "print JSON" };
        var cmd = new Command("claims", "Claim throughput of a study storage: no-op trials claimed and completed per second, p99 latency, double claims.") { storage, workers, trials, json };
        cmd.SetAction(p =>
        {
            string tmp = Directory.CreateTempSubdirectory("gptlab-claims-").FullName;
            try
            {
                var at = p.GetValue(storage) is string url ? new Sweeps.StudyLocation(tmp, url, $"gptlab-bench-claims-{DateTime.UtcNow:yyyyMMddHHmmssfff}") : new Sweeps.StudyLocation(tmp);
                var r = ClaimBenchmark.Run(at, p.GetValue(workers), p.GetValue(trials));
                Console.WriteLine(p.GetValue(json) ? JsonSerializer.Serialize(r, Json.Line)
                    : $"{r.Storage}: {r.Trials:N0} claims by {r.Workers} workers in {r.Seconds:0.0} s = {r.ClaimsPerS:N0} claims/s; latency p50 {r.P50Ms:0.00} ms, p99 {r.P99Ms:0.00} ms; double or lost claims: {r.DoubleClaims} (the bench's study is deleted)");
            }
            finally { Directory.Delete(tmp, true); }
            return 0;
        });
        return cmd;
    }
}
