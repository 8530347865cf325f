namespace GptLab.IO;

/// <summary>
/// Writes a directory under a temporary name next to its final place, then swaps it in with renames, so a
/// reader sees either the old complete directory or the new complete one, never a half-written one.
/// </summary>
internal static class AtomicDirectory
{
    /// <summary>Creates an empty staging directory beside <paramref name="target"/>.</summary>
    public static string CreateStaging(string target)
    {
        string full = Path.GetFullPath(target);
        string parent = Path.GetDirectoryName(full) ?? ".";
        Directory.CreateDirectory(parent);
        string staging = Path.Combine(parent, $".{Path.GetFileName(full)}.tmp-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        return staging;
    }

    /// <summary>Replaces <paramref name="target"/> with <paramref name="staging"/> (two renames; the old copy is deleted last).</summary>
    public static void Commit(string staging, string target)
    {
        string full = Path.GetFullPath(target);
        for (int attempt = 0; ; attempt++)
        {
            string? old = null;
            if (Directory.Exists(full))
            {
                old = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.old-{Guid.NewGuid():N}");
                Directory.Move(full, old);
            }
            try
            {
                Directory.Move(staging, full);
            }
            catch (IOException) when (attempt < 5 && Directory.Exists(full) && Directory.Exists(staging))
            {
                // a reader (sample, the dashboard) ran Recover between the two renames and put the old copy back:
                // move it aside again
                continue;
            }
            if (old != null) TryDelete(old);
            return;
        }
    }

    /// <summary>Restores a target left missing by a crash between the two renames of <see cref="Commit"/>.</summary>
    public static void Recover(string target)
    {
        string full = Path.GetFullPath(target);
        if (Directory.Exists(full)) return;
        string parent = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(parent)) return;
        var olds = Directory.GetDirectories(parent, $".{Path.GetFileName(full)}.old-*");
        if (olds.Length > 0) Directory.Move(olds.OrderBy(Directory.GetLastWriteTimeUtc).Last(), full);
    }

    public static void TryDelete(string dir)
    {
        try { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
