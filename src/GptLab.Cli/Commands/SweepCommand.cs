using System.CommandLine;
using System.Diagnostics;
using System.Runtime.InteropServices;
using GptLab.Data;
using GptLab.Reports;
using GptLab.Sweeps;
using Spectre.Console;

namespace GptLab.Cli.Commands;

/// <summary><c>gptlab sweep SPEC</c>, <c>sweep status|resume|report DIR</c> and <c>sweep worker DIR</c>.</summary>
internal static partial class SweepCommand
{
    public static Command Create()
    {
        var spec = new Argument<string>("spec") { Description = "sweep spec (JSON or YAML)" };
        var outDir = new Option<string?>("--out") { Description = "sweep folder (default runs/sweep-<time>)" };
        var workers = new Option<int?>("--workers") { Description = "worker processes on this machine (0: create the study only); default from the spec" };
        var threads = new Option<int?>("--threads") { Description = "threads in all, split between the workers (default: all cores)" };
        var dirArg = new Argument<string?>("dir") { Description = "a sweep folder (SQLite storage); or give --storage URL --study NAME", Arity = ArgumentArity.ZeroOrOne };
        var storage = new Option<string?>("--storage") { Description = "where the study lives: postgresql://user@host:port/db (many machines; also GPTLAB_STORAGE) or a SQLite path; default: study.db in the sweep folder" };
        var study = new Option<string?>("--study") { Description = "the study's name in a shared database" };
        var artifacts = new Option<string?>("--artifacts") { Description = "the folder every worker writes trial runs to (a shared filesystem for several machines)" };
        StudyLocation At(ParseResult p, string? dir = null) =>
            StudyLocation.From(dir ?? p.GetValue(dirArg), p.GetValue(storage), p.GetValue(study), p.GetValue(artifacts));

        var cmd = new Command("sweep", "Search hyperparameters: grid, random or successive halving, with parallel workers and importance charts.")
        {
            spec, outDir, workers, threads, storage, study, artifacts,
        };
        cmd.SetAction(p =>
        {
            var s = SweepSpec.Load(p.GetValue(spec)!);
            int n = Cli.RequireAtLeast(p.GetValue(workers) ?? s.Workers, 0, "--workers");
            int total = Cli.RequireAtLeast(p.GetValue(threads) ?? Environment.ProcessorCount, 1, "--threads");
            var at = At(p, p.GetValue(outDir) ?? (p.GetValue(artifacts) is null ? Path.Combine("runs", $"sweep-{DateTime.Now:yyyyMMdd-HHmmss}") : null));
            if (Study.Exists(at)) throw new GptLabException($"{at} already holds a sweep — use `gptlab sweep resume`");
            // a new study's trial folders (trials/NNNN) must not meet another study's
            if (Directory.Exists(at.Artifacts) && Directory.EnumerateFileSystemEntries(at.Artifacts).Any())
                throw new GptLabException($"{at.Artifacts} is not empty and holds no sweep — name a new or empty folder ({(at.IsPostgres ? "--artifacts" : "--out")})");
            DatasetLocator.Open(s.BaseConfig().Dataset, Note).Dispose();   // a built-in dataset is prepared once, here
            using (var created = Study.Create(at, s))
                AnsiConsole.MarkupLineInterpolated($"sweep [bold]{at}[/]: {created.Trials().Count} configurations, {s.Phases.Count} phase(s), metric {s.MetricName}");
            return n == 0 ? Status(at) : RunWorkers(at, n, total);
        });

        var status = new Command("status", "Show a sweep's progress: done, running, queued, failed, best so far, ETA.") { dirArg, storage, study, artifacts };
        status.SetAction(p => Status(At(p)));

        var resumeWorkers = new Option<int?>("--workers") { Description = "worker processes" };
        var resumeThreads = new Option<int?>("--threads") { Description = "threads in all, split between the workers" };
        var resume = new Command("resume", "Continue a stopped sweep (trials of dead workers are re-queued; live workers keep theirs).")
        {
            dirArg, resumeWorkers, resumeThreads, storage, study, artifacts,
        };
        resume.SetAction(p =>
        {
            var at = At(p);
            int total = Cli.RequireAtLeast(p.GetValue(resumeThreads) ?? Environment.ProcessorCount, 1, "--threads");
            int n;
            using (var opened = Study.Open(at))
            {
                n = Cli.RequireAtLeast(p.GetValue(resumeWorkers) ?? opened.Spec.Workers, 0, "--workers");
                // the full heartbeat_timeout, never less: a live worker counts its lease valid for 3/4 of it
                int requeued = opened.RequeueSilent(opened.Spec.HeartbeatTimeout) + opened.RetryFailed();
                AnsiConsole.MarkupLineInterpolated($"resuming {at} ({requeued} trial(s) re-queued)");
            }
            return n == 0 ? Status(at) : RunWorkers(at, n, total);
        });

        var reportOut = new Option<string?>("--out") { Description = "where to write (default <dir>/report)" };
        var reportForce = new Option<bool>("--force") { Description = "write into a --out folder that is not empty and holds no earlier report" };
        var fastestWithin = new Option<double?>("--fastest-within") { Description = "best.json: the fastest trial whose metric is within this of the best (a Pareto trade-off), not the best" };
        var report = new Command("report", "Write the trials table (CSV, Markdown), the best config as a preset, and the charts.") { dirArg, reportOut, reportForce, fastestWithin, storage, study, artifacts };
        report.SetAction(p =>
        {
            if (p.GetValue(reportOut) is string to) Runs.OutputPaths.RequireOwnFolder(to, p.GetValue(reportForce), "--out", "report.md", "report");
            if (p.GetValue(fastestWithin) is double fw && !(fw >= 0 && double.IsFinite(fw))) throw new GptLabException($"--fastest-within must be a number ≥ 0; got {fw}");
            var r = SweepReport.Write(At(p), p.GetValue(reportOut), p.GetValue(fastestWithin));
            if (r.Importance.Count > 0)
            {
                var t = new Table().Border(TableBorder.Rounded).AddColumns("hyperparameter", "importance (metric)", "importance (time)");
                foreach (var (n, m, tm) in r.Importance.OrderByDescending(x => x.Metric)) t.AddRow(n, double.IsFinite(m) ? $"{m:P1}" : "–", double.IsFinite(tm) ? $"{tm:P1}" : "–");
                AnsiConsole.Write(t);
            }
            AnsiConsole.MarkupLineInterpolated($"[green]wrote[/] {r.Markdown}, {r.Csv}, {r.BestPreset} and {r.Charts.Count} charts");
            return 0;
        });

        var workerId = new Option<string>("--worker-id") { Description = "this worker's name", DefaultValueFactory = _ => $"{Environment.MachineName}-{Environment.ProcessId}" };
        var workerThreads = new Option<int>("--threads") { Description = "intra-op threads", DefaultValueFactory = _ => Environment.ProcessorCount };
        var parent = new Option<int?>("--parent-pid") { Description = "exit when this process dies (set by `gptlab sweep`)", Hidden = true };
        var worker = new Command("worker", "Run trials of a sweep until none are left: any number of workers, on any machine that reaches the storage and the artifacts folder.")
        {
            dirArg, workerId, workerThreads, parent, storage, study, artifacts,
        };
        worker.SetAction(p =>
        {
            if (p.GetValue(parent) is int ppid) DieWithParent(ppid);
            int th = Cli.RequireAtLeast(p.GetValue(workerThreads), 1, "--threads");
            var at = At(p);
            TorchRuntime.Initialize(th);
            using var signals = new SignalCancellation();
            int n = new SweepWorker(at, p.GetValue(workerId)!, th, Console.WriteLine).Run(signals.Token);
            Console.WriteLine($"[{p.GetValue(workerId)}] ran {n} trial(s)");
            return 0;
        });

        cmd.Subcommands.Add(status);
        cmd.Subcommands.Add(resume);
        cmd.Subcommands.Add(report);
        cmd.Subcommands.Add(worker);
        return cmd;
    }

    private static void Note(string s) => AnsiConsole.MarkupLineInterpolated($"[grey]{s}[/]");

    /// <summary>Starts <paramref name="count"/> worker processes (threads split between them), waits for them, and
    /// says how the study ended: 0 when it finished with results, 1 when work is left or every trial failed.</summary>
    private static int RunWorkers(StudyLocation at, int count, int totalThreads)
    {
        int threads = Math.Max(1, totalThreads / count);
        var procs = new List<Process>();
        using var signals = new SignalCancellation(() =>
        {
            foreach (var p in procs.Where(p => !p.HasExited)) _ = kill(p.Id, 15);   // workers save their trial and release it
        });
        for (int i = 0; i < count; i++)
        {
            var psi = new ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false };
            if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet") psi.ArgumentList.Add(typeof(SweepCommand).Assembly.Location);
            foreach (var a in new[] { "sweep", "worker", "--artifacts", at.Artifacts, "--worker-id", $"{Environment.MachineName}-w{i + 1}", "--threads", threads.ToString(), "--parent-pid", Environment.ProcessId.ToString() })
                psi.ArgumentList.Add(a);
            if (at.IsPostgres)
            {
                psi.ArgumentList.Add("--study");
                psi.ArgumentList.Add(at.Name!);
                psi.Environment["GPTLAB_STORAGE"] = at.Storage;   // never on a command line (it may hold a password)
            }
            procs.Add(Process.Start(psi)!);
        }
        foreach (var p in procs) p.WaitForExit();
        Status(at);
        using var study = Study.Open(at);
        var s = study.Status();
        if (!s.Finished)
            throw new GptLabException($"the sweep stopped with {s.Remaining} trial(s) left — continue it with `gptlab sweep resume` ({at})");
        if (s.Best is null)
            throw new GptLabException($"every trial failed; the first error: {s.FirstError ?? "unknown"}");
        AnsiConsole.MarkupLineInterpolated($"[green]done[/]: {s.Configurations} configurations, {s.Trials} trials; best: config {s.Best.ConfigId} ({s.Best.Params}) {study.Spec.MetricName} {s.Best.Metric:0.0000}");
        return 0;
    }

    private static int Status(StudyLocation at)
    {
        using var study = Study.Open(at);
        var spec = study.Spec;
        var s = study.Status();
        string eta = s.EtaSeconds(spec.Workers) is double secs ? $", ETA ~{TimeSpan.FromSeconds(secs):hh\\:mm\\:ss} for the phase" : "";
        string pruned = spec.Pruner.Kind != PrunerKind.None ? $"{s.Pruned} pruned, " : "";
        string toSample = spec.Method == SweepMethod.Tpe ? $", {s.ToSample} to sample" : "";
        AnsiConsole.MarkupLineInterpolated($"phase {s.Phase + 1}/{s.Phases}: {s.Done} done, {pruned}{s.Running} running, {s.Queued} queued{toSample}, {s.Failed} failed{eta}");
        if (s.Best is Trial b)
            AnsiConsole.MarkupLineInterpolated($"best so far: config {b.ConfigId} ({b.Params}) {spec.MetricName} {b.Metric:0.0000} at {b.Iters} iters");
        if (s.FirstError is string e) AnsiConsole.MarkupLineInterpolated($"[yellow]first failure[/]: {e}");
        return 0;
    }

    /// <summary>Linux: SIGTERM this worker when its parent dies (a killed `gptlab sweep` takes its workers with it).</summary>
    private static void DieWithParent(int parentPid)
    {
        const int PR_SET_PDEATHSIG = 1;
        _ = prctl(PR_SET_PDEATHSIG, 15, 0, 0, 0);
        if (getppid() != parentPid) throw new GptLabException("the sweep that started this worker has already exited");
    }

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int kill(int pid, int sig);

    [LibraryImport("libc", EntryPoint = "prctl")]
    private static partial int prctl(int option, ulong arg2, ulong arg3, ulong arg4, ulong arg5);

    [LibraryImport("libc", EntryPoint = "getppid")]
    private static partial int getppid();
}
