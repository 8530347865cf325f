using System.Diagnostics;
using System.Text.Json.Nodes;

namespace GptLab.Runs;

/// <summary>A run as `gptlab runs` lists it, read from its folder alone (no libtorch).</summary>
public sealed record RunSummary
{
    public string Name { get; init; } = "";
    public string Path { get; init; } = "";
    public string Status { get; init; } = "";
    public int Steps { get; init; }
    public long Tokens { get; init; }
    public double? BestValNll { get; init; }
    public double? Perplexity => BestValNll is double v ? Math.Exp(v) : null;
    public int WorldSize { get; init; } = 1;    // processes that trained it together (mpirun)
    public long? Parameters { get; init; }
    public double WallS { get; init; }
    public DateTime? Started { get; init; }

    /// <summary>Every run folder (one with config.json) directly under <paramref name="root"/>, or one level deeper
    /// (the runs of a study or sweep), newest first; names are relative to <paramref name="root"/>.</summary>
    public static IReadOnlyList<RunSummary> Scan(string root)
    {
        string names = System.IO.Path.GetFullPath(root);
        return Folders(root).Select(d => Read(new RunDirectory(d), names)).OrderByDescending(r => r.Started ?? DateTime.MinValue).ToList();
    }

    /// <summary>The run folders (holding config.json) directly under <paramref name="root"/> or one level deeper.</summary>
    public static IReadOnlyList<string> Folders(string root)
    {
        if (!Directory.Exists(root)) return [];
        return [.. Directory.GetDirectories(root).SelectMany(d => File.Exists(System.IO.Path.Combine(d, "config.json"))
            ? [d] : Directory.GetDirectories(d).Where(s => File.Exists(System.IO.Path.Combine(s, "config.json"))))];
    }

    /// <summary>The run's summary; its name is its path relative to <paramref name="namesRelativeTo"/> (default: ./runs)
    /// when it lies inside, else its folder's name.</summary>
    public static RunSummary Read(RunDirectory run, string? namesRelativeTo = null)
    {
        string names = System.IO.Path.GetFullPath(namesRelativeTo ?? "runs");
        var status = Safe(run.ReadStatus);
        var metrics = Safe(run.ReadMetrics) ?? [];
        var train = metrics.LastOrDefault(m => m.Kind == "train");
        var evals = metrics.Where(m => m.Kind == "eval" && (m.ValNll ?? m.ValLoss) is double v && double.IsFinite(v)).ToList();
        return new RunSummary
        {
            Name = run.Path.StartsWith(names + System.IO.Path.DirectorySeparatorChar, StringComparison.Ordinal) ? System.IO.Path.GetRelativePath(names, run.Path) : run.Name,
            Path = run.Path,
            Status = EffectiveState(status),
            Steps = Math.Max(train?.Step ?? 0, evals.LastOrDefault()?.Step ?? 0),
            Tokens = Math.Max(train?.Tokens ?? 0, evals.LastOrDefault()?.Tokens ?? 0),
            BestValNll = evals.Count > 0 ? evals.Min(e => e.ValNll ?? e.ValLoss) : null,
            WorldSize = train?.WorldSize ?? 1,
            Parameters = status?.Parameters,
            WallS = metrics.Count > 0 ? metrics.Max(m => m.WallS) : 0,
            Started = status?.Started ?? (File.Exists(run.ConfigPath) ? File.GetCreationTimeUtc(run.ConfigPath) : null),
        };
    }

    /// <summary>The run's state from its status file (unknown when missing or damaged).</summary>
    public static string StateOf(RunDirectory run) => EffectiveState(Safe(run.ReadStatus));

    /// <summary>"running" only while the owning process lives: a run killed with -9 shows as stopped.</summary>
    public static string EffectiveState(RunStatus? status)
    {
        if (status is null) return "unknown";
        if (status.State != "running") return status.State;
        if (status.Host.Length > 0 && status.Host != Environment.MachineName) return "running";
        return IsAlive(status.Pid, status.Started) ? "running" : "stopped";
    }

    internal static bool IsAlive(int pid, DateTime started)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            if (p.HasExited) return false;
            return p.StartTime.ToUniversalTime() <= started.AddSeconds(5);   // not a new process that reused the pid
        }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }

    private static T? Safe<T>(Func<T?> read) where T : class
    {
        try { return read(); }
        catch (GptLabException) { return null; }
        catch (IOException) { return null; }
    }

    /// <summary>Keys of <paramref name="config"/> whose values differ from <paramref name="baseline"/>.</summary>
    public static IReadOnlyList<(string Key, string? Base, string? Value)> Diff(JsonObject baseline, JsonObject config) =>
        config.Where(kv => !JsonNode.DeepEquals(kv.Value, baseline[kv.Key]))
              .Select(kv => (kv.Key, baseline[kv.Key]?.ToJsonString(), kv.Value?.ToJsonString())).ToList();
}
