using System.Diagnostics;
using System.Text.Json.Nodes;
using GptLab.Data;
using GptLab.Runs;
using GptLab.Sweeps;
using GptLab.Training;

namespace GptLab.Benchmarks;

/// <summary>What the lease costs and how fast it stops a paused holder.</summary>
public sealed record LeaseBench(
    int Rounds, double HeartbeatTimeoutS, double StopMsMedian, double StopMsMax, int FilesWrittenAfterWake,
    double CheckNs, double MsPerStepFenced, double MsPerStepUnfenced, double FenceCostRatio);

/// <summary>
/// `gptlab bench lease`: (1) a sweep worker process trains a trial, is paused (SIGSTOP) past heartbeat_timeout, the
/// trial is taken over, and the worker is woken (SIGCONT): how long until it says it stopped, and how many bytes it
/// still wrote into the trial folder (none is the promise); (2) what fencing costs: one check's time, and ms/step of the
/// same trial with and without a lease, alternated in this process.
/// </summary>
public static class LeaseBenchmark
{
    public static LeaseBench Run(string workDir, Func<string[], Process> startGptlab, int rounds, double heartbeatTimeoutS, int steps, Action<string>? log = null)
    {
        Directory.CreateDirectory(workDir);
        string text = Path.Combine(workDir, "text.txt");
        using (var r = new StreamReader(CorpusSource.OpenShakespeare())) File.WriteAllText(text, new string(r.ReadToEnd().AsSpan(0, 50_000)));
        string data = Path.Combine(workDir, "data");
        if (!Directory.Exists(data)) DatasetPreparer.Prepare(new PrepareOptions { Source = CorpusSource.FromPath(text, null), OutDir = data, Tokenizer = "char", Name = "lease" });

        var stops = new List<double>();
        int filesAfter = 0;
        for (int round = 0; round < rounds; round++)
        {
            var (ms, files) = PauseRound(Path.Combine(workDir, $"pause{round}"), data, startGptlab, heartbeatTimeoutS);
            log?.Invoke($"round {round + 1}: stopped {ms:0.0} ms after waking; files written after waking: {files}");
            stops.Add(ms);
            filesAfter += files;
        }

        var (fenced, unfenced, checkNs) = FenceCost(Path.Combine(workDir, "cost"), data, steps);
        return new LeaseBench(rounds, heartbeatTimeoutS, Measure.Median(stops), stops.Max(), filesAfter, checkNs, fenced, unfenced, fenced / unfenced);
    }

    private static SweepSpec Spec(string data, double timeout, int iters) => SweepSpec.Parse(JsonNode.Parse($$"""
        { "data": "{{data.Replace("\\", "\\\\")}}", "heartbeat_timeout": {{timeout.ToString(System.Globalization.CultureInfo.InvariantCulture)}},
          "fixed": { "n_layer": 2, "n_embd": 64, "n_head": 2, "block_size": 64, "batch_size": 8, "eval_iters": 2, "eval_interval": 50,
                     "warmup_iters": 10, "sample_tokens": 0, "peak_flops": 1e11, "max_iters": {{iters}}, "log_interval": 1, "threads": 1 },
          "parameters": { "learning_rate": [1e-3] } }
        """)!.AsObject());

    private static (double StopMs, int Files) PauseRound(string dir, string data, Func<string[], Process> startGptlab, double timeout)
    {
        using (Study.Create(dir, Spec(data, timeout, 1_000_000))) { }
        var run = new RunDirectory(SweepWorker.TrialDir(dir, 0));
        using var worker = startGptlab(["sweep", "worker", dir, "--worker-id", "paused", "--threads", "1"]);
        var lostAt = new TaskCompletionSource<long>();
        worker.OutputDataReceived += (_, e) => { if (e.Data?.Contains("lost trial", StringComparison.Ordinal) == true) lostAt.TrySetResult(Stopwatch.GetTimestamp()); };
        worker.BeginOutputReadLine();
        worker.BeginErrorReadLine();
        try
        {
            Until(() => File.Exists(run.MetricsPath) && new FileInfo(run.MetricsPath).Length > 20_000, TimeSpan.FromMinutes(2), "the worker to train");
            Signal(worker, "STOP");
            using (var study = Study.Open(dir))
            {
                Trial? taken = null;
                Until(() => (taken = study.Claim("bench")) is not null, TimeSpan.FromSeconds(timeout * 10 + 30), "the trial to be re-queued");
            }
            var before = Snapshot(run.Path);
            long woke = Stopwatch.GetTimestamp();
            Signal(worker, "CONT");
            if (!lostAt.Task.Wait(TimeSpan.FromMinutes(1))) throw new GptLabException("the woken worker never said it lost its trial");
            double ms = Stopwatch.GetElapsedTime(woke, lostAt.Task.Result).TotalMilliseconds;
            Thread.Sleep(TimeSpan.FromSeconds(timeout));   // a heartbeat's time for any late write to show
            return (ms, Changed(before, run.Path));
        }
        finally
        {
            if (!worker.HasExited) worker.Kill(entireProcessTree: true);
            worker.WaitForExit();
        }
    }

    /// <summary>ms/step of one trial with a lease (every write checked) and without, alternated; and one check's cost.</summary>
    private static (double Fenced, double Unfenced, double CheckNs) FenceCost(string dir, string data, int steps)
    {
        var spec = Spec(data, 60, steps);
        var config = spec.TrialConfig(spec.Expand().First(), 0);
        using var dataset = DatasetLocator.Open(data, null);
        var fenced = new List<double>();
        var unfenced = new List<double>();
        double checkNs = 0;
        for (int round = 0; round < 6; round++)
        {
            bool fence = round % 2 == 0;
            string at = Path.Combine(dir, $"r{round}");
            using var study = Study.Create(at, spec);
            var trial = study.Claim("bench")!;
            using var lease = new TrialLease(study, trial, 60);
            var rec = new RecordingObserver();
            using (var session = TrainingSession.StartOrContinue(config, SweepWorker.TrialDir(at, 0), new SessionOptions { Dataset = dataset, Fence = fence ? lease : null }))
                session.Train([rec]);
            (fence ? fenced : unfenced).Add(Measure.Median(rec.Steps.Skip(10).Select(s => s.MsPerStep!.Value).ToList()));
            if (fence)
            {
                const int n = 10_000_000;
                var sw = Stopwatch.StartNew();
                for (int i = 0; i < n; i++) lease.Check();
                checkNs = Math.Max(checkNs, sw.Elapsed.TotalNanoseconds / n);
            }
        }
        return (Measure.Median(fenced), Measure.Median(unfenced), checkNs);
    }

    /// <summary>Every file of the folder with its size and last write.</summary>
    private static Dictionary<string, (long, DateTime)> Snapshot(string dir) =>
        Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).ToDictionary(f => f, f => (new FileInfo(f).Length, File.GetLastWriteTimeUtc(f)));

    /// <summary>Files created, grown, shrunk or rewritten since <paramref name="before"/>.</summary>
    private static int Changed(Dictionary<string, (long, DateTime)> before, string dir) =>
        Snapshot(dir).Count(kv => !before.TryGetValue(kv.Key, out var old) || old != kv.Value);

    private static void Signal(Process p, string signal) => Process.Start("kill", [$"-{signal}", p.Id.ToString()])!.WaitForExit();

    private static void Until(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new GptLabException($"timed out waiting for {what}");
            Thread.Sleep(10);   // a benchmark harness polling a child process's files
        }
    }
}
