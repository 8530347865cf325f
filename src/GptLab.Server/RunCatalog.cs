using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using GptLab.Runs;
using GptLab.Sweeps;

namespace GptLab.Server;

/// <summary>
/// The run and sweep folders under the dashboard's root, found by name. A name is a path relative to the root
/// ("tiny", "study/trials/0001"); one that is absolute, climbs with "..", or lands outside the root (through a link)
/// is refused, so no URL reaches a file outside <c>--root</c>.
/// </summary>
internal sealed class RunCatalog(string root)
{
    public string Root { get; } = Path.GetFullPath(root);

    // a run's listing is re-read only when one of its files changed (the runs page polls every 2 s, and a run with
    // 100,000 metric lines takes a fraction of a second to summarize); its state is re-judged each time (a process
    // killed with -9 changes no file)
    private readonly ConcurrentDictionary<string, (string Stamp, RunListing Listing)> listings = new();

    /// <summary>The runs that may be opened (none reached through a link that leads out of the root), each named
    /// relative to the root — the server's own paths are not shown — with its config (for the runs table's
    /// hyperparameter columns and filters), newest first.</summary>
    public IReadOnlyList<RunListing> Runs()
    {
        string root = ResolveLinks(Root);
        return [.. RunSummary.Folders(Root).Where(d => Under(ResolveLinks(d), root)).Select(d => Listing(new RunDirectory(d)))
            .OrderByDescending(l => l.Summary.Started ?? DateTime.MinValue)];
    }

    private RunListing Listing(RunDirectory run)
    {
        string stamp = string.Join("|", new[] { run.MetricsPath, run.StatusPath, run.ConfigPath }.Select(FileStamp.Of));
        if (listings.TryGetValue(run.Path, out var hit) && hit.Stamp == stamp)
            return hit.Listing with { Summary = hit.Listing.Summary with { Status = RunSummary.StateOf(run) } };
        JsonObject? config = null;
        try { config = JsonNode.Parse(File.ReadAllText(run.ConfigPath))?.AsObject(); }
        catch (Exception e) when (e is IOException or JsonException or InvalidOperationException) { }
        // a column shows a dataset by its folder's name, not the server's path to it
        foreach (var (k, v) in config?.ToList() ?? [])
            if (v is JsonValue jv && jv.TryGetValue(out string? text) && Path.IsPathRooted(text))
                config![k] = Path.GetFileName(text.TrimEnd('/', '\\'));
        var listing = new RunListing(RunSummary.Read(run, Root) with { Path = NameOf(run.Path) }, config);
        listings[run.Path] = (stamp, listing);
        return listing;
    }

    /// <summary>One run's summary, named relative to the root.</summary>
    public RunSummary Summary(RunDirectory run) => Listing(run).Summary;

    public RunDirectory Run(string? name)
    {
        var run = new RunDirectory(Inside(name, "run"));
        if (!run.Exists) throw HttpProblem.NotFound($"no run named '{name}'");
        return run;
    }

    public string NameOf(string path) => Path.GetRelativePath(Root, path).Replace('\\', '/');

    /// <summary>Sweep folders (holding study.db) directly under the root or one level deeper.</summary>
    public IReadOnlyList<string> Sweeps()
    {
        if (!Directory.Exists(Root)) return [];
        var dirs = Directory.GetDirectories(Root).SelectMany(d => Study.Exists(d) ? [d] : Directory.GetDirectories(d).Where(Study.Exists));
        return dirs.Select(NameOf).Order(StringComparer.Ordinal).ToList();
    }

    public string Sweep(string? name)
    {
        string dir = Inside(name, "sweep");
        if (!Study.Exists(dir)) throw HttpProblem.NotFound($"no sweep named '{name}'");
        return dir;
    }

    private string Inside(string? name, string what)
    {
        if (string.IsNullOrWhiteSpace(name)) throw HttpProblem.BadRequest($"give the {what}'s name (?name=…)");
        if (name.Contains('\0') || Path.IsPathRooted(name) || name.Split('/', '\\').Any(p => p is ".." or "."))
            throw HttpProblem.BadRequest($"'{name}' is not a {what} name: names are relative to the dashboard's root, without '..'");
        string full = Path.GetFullPath(Path.Combine(Root, name));
        // links inside the root must not lead out of it either
        if (!Under(full, Root) || !Under(ResolveLinks(full), ResolveLinks(Root))) throw HttpProblem.NotFound($"no {what} named '{name}'");
        return full;
    }

    private static bool Under(string path, string folder) => path.StartsWith(folder + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    private static string ResolveLinks(string path)
    {
        if (!Directory.Exists(path)) return path;
        var info = new DirectoryInfo(path);
        var target = info.ResolveLinkTarget(returnFinalTarget: true);
        string self = target?.FullName ?? info.FullName;
        string? parent = Path.GetDirectoryName(self);
        return parent is null ? self : Path.Combine(ResolveLinks(parent), Path.GetFileName(self));
    }
}
