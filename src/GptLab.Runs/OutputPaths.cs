namespace GptLab.Runs;

/// <summary>
/// The one rule for what a command writes to a path the user names: a new file or an empty (or new) folder is
/// written; an existing file, or a non-empty folder that is not this command's own earlier output, is refused unless
/// the user passes <c>--force</c> — so a mistyped path never replaces a run's config, a dataset's meta.json or a
/// checkpoint. Checked before any work is done.
/// </summary>
public static class OutputPaths
{
    /// <summary>Refuses <paramref name="path"/> when a file (or a folder) is already there, unless <paramref name="force"/>.</summary>
    public static void RequireNewFile(string path, bool force, string flag)
    {
        if (Directory.Exists(path)) throw new GptLabException($"{flag} {path} is a folder — name a file");
        if (File.Exists(path) && !force)
            throw new GptLabException($"{flag} {path} already exists — pass --force to replace it, or name a new file");
    }

    /// <summary>Refuses a non-empty folder unless <paramref name="force"/> or it holds <paramref name="ownMarker"/>
    /// (this command's earlier output, which it may update).</summary>
    public static void RequireOwnFolder(string dir, bool force, string flag, string? ownMarker = null, string what = "output of this command")
    {
        if (File.Exists(dir)) throw new GptLabException($"{flag} {dir} is a file — name a folder");
        if (force || !Directory.Exists(dir) || !Directory.EnumerateFileSystemEntries(dir).Any()) return;
        if (ownMarker is not null && File.Exists(Path.Combine(dir, ownMarker))) return;
        throw new GptLabException($"{flag} {dir} is not empty and holds no earlier {what} — pass --force to write into it, or name a new or empty folder");
    }
}
