using System.CommandLine;
using System.Diagnostics;
using System.Runtime.InteropServices;
using GptLab.Sweeps;
using Spectre.Console;

namespace GptLab.Cli.Commands;

/// <summary><c>gptlab sweep SPEC</c>, <c>sweep status|resume|report DIR</c> (and the internal <c>sweep worker DIR</c>).</summary>
internal static partial class SweepCommand
{
    public static Command Create()
    {
        var spec = new Argument<string>("spec") { Description = "sweep spec (JSON or YAML)" };
        var outDir = new Option<string?>("--out") { Description = "sweep folder (default runs/sweep-<time>)" };
        var workers = new Option<int?>("--workers") { Description = "worker processes on this machine (threads are split between them); default from the spec" };
        var dirArg = new Argument<string>("dir") { Description = "a sweep folder" };

        var cmd = new Command("sweep", "Search hyperparameters: grid, random or successive halving, with parallel workers and importance charts.") { spec, outDir, workers };
        cmd.SetAction(p =>
        {
            var s = SweepSpec.Load(p.GetValue(spec)!);
            string dir = p.GetValue(outDir) ?? Path.Combine("runs", $"sweep-{DateTime.Now:yyyyMMdd-HHmmss}");
            using (var study = Study.Create(dir, s))
                AnsiConsole.MarkupLineInterpolated($"sweep [bold]{dir}[/]: {study.Trials().Count} configurations, {s.Phases.Count} phase(s), metric {s.Metric}");
            return RunWorkers(dir, p.GetValue(workers) ?? s.Workers);
        });

        var status = new Command("status", "Show a sweep's progress: done, running, queued, failed, best so far, ETA.") { dirArg };
        status.SetAction(p => Status(p.GetValue(dirArg)!));

        var resumeWorkers = new Option<int?>("--workers") { Description = "worker processes" };
        var resume = new Command("resume", "Continue a stopped sweep (running trials of dead workers are re-queued).") { dirArg, resumeWorkers };
        resume.SetAction(p =>
        {
            string dir = p.GetValue(dirArg)!;
            int n;
            using (var study = Study.Open(dir))
            {
                var s = study.Spec();
                int requeued = study.RequeueAllRunning() + study.RetryFailed(s);
                n = p.GetValue(resumeWorkers) ?? s.Workers;
                AnsiConsole.MarkupLineInterpolated($"resuming {dir} ({requeued} trial(s) re-queued)");
            }
            return RunWorkers(dir, n);
        });

        var reportOut = new Option<string?>("--out") { Description = "where to write (default <dir>/report)" };
        var report = new Command("report", "Write the trials table (CSV, Markdown), the best config as a preset, and the charts.") { dirArg, reportOut };
        report.SetAction(p =>
        {
            var r = SweepReport.Write(p.GetValue(dirArg)!, p.GetValue(reportOut));
            if (r.Importance.Count > 0)
            {
                var t = new Table().Border(TableBorder.Rounded).AddColumns("hyperparameter", "importance (metric)", "importance (time)");
                foreach (var (n, m, tm) in r.Importance.OrderByDescending(x => x.Metric)) t.AddRow(n, double.IsFinite(m) ? $"{m:P1}" : "–", double.IsFinite(tm) ? $"{tm:P1}" : "–");
                AnsiConsole.Write(t);
            }
            AnsiConsole.MarkupLineInterpolated($"[green]wrote[/] {r.Markdown}, {r.Csv}, {r.BestPreset} and {r.Charts.Count} charts");
            return 0;
        });

        var workerId = new Option<string>("--worker-id") { Description = "this worker's name", DefaultValueFactory = _ => $"w{Environment.ProcessId}" };
        var threads = new Option<int>("--threads") { Description = "intra-op threads", DefaultValueFactory = _ => Environment.ProcessorCount };
        var worker = new Command("worker", "Run trials of a sweep until none are left (started by `gptlab sweep`).") { dirArg, workerId, threads };
        worker.Hidden = true;
        worker.SetAction(p =>
        {
            TorchRuntime.Initialize(p.GetValue(threads));
            using var signals = new SignalCancellation();
            int n = new SweepWorker(p.GetValue(dirArg)!, p.GetValue(workerId)!, p.GetValue(threads), Console.WriteLine).Run(signals.Token);
            Console.WriteLine($"[{p.GetValue(workerId)}] done: {n} trial(s)");
            return 0;
        });

        cmd.Subcommands.Add(status);
        cmd.Subcommands.Add(resume);
        cmd.Subcommands.Add(report);
        cmd.Subcommands.Add(worker);
        return cmd;
    }

    private static int RunWorkers(string dir, int count)
    {
        if (count < 1) throw new GptLabException("--workers must be ≥ 1");
        int threads = Math.Max(1, Environment.ProcessorCount / count);
        var procs = new List<Process>();
        for (int i = 0; i < count; i++)
        {
            var psi = new ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false };
            if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet") psi.ArgumentList.Add(typeof(SweepCommand).Assembly.Location);
            foreach (var a in new[] { "sweep", "worker", dir, "--worker-id", $"w{i + 1}", "--threads", threads.ToString() }) psi.ArgumentList.Add(a);
            procs.Add(Process.Start(psi)!);
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c =>
        {
            c.Cancel = true;   // workers get the same SIGINT from the terminal; make sure they do
            foreach (var p in procs.Where(p => !p.HasExited)) _ = kill(p.Id, 2);
        });
        foreach (var p in procs) p.WaitForExit();
        Status(dir);
        return procs.All(p => p.ExitCode == 0) ? 0 : 1;
    }

    private static int Status(string dir)
    {
        using var study = Study.Open(dir);
        var spec = study.Spec();
        var s = study.Status(spec);
        int remaining = s.Queued + s.Running;
        string eta = s.MeanTrialSeconds is double m && remaining > 0 ? $", ETA ~{TimeSpan.FromSeconds(m * remaining / Math.Max(1, spec.Workers)):hh\\:mm\\:ss}" : "";
        AnsiConsole.MarkupLineInterpolated($"phase {s.Phase + 1}/{s.Phases}: {s.Done} done, {s.Running} running, {s.Queued} queued, {s.Failed} failed{eta}");
        if (s.Best is Trial b)
            AnsiConsole.MarkupLineInterpolated($"best so far: config {b.ConfigId} ({b.Params}) {spec.Metric} {b.Metric:0.0000} at {b.Iters} iters");
        return 0;
    }

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int kill(int pid, int sig);
}
