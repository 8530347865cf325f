namespace GptLab.Tests;

/// <summary>Finds the programs the tests drive (chromium, initdb, mpirun) the way a shell would.</summary>
public static class ToolPaths
{
    /// <summary>The full path of <paramref name="name"/> in a PATH folder (or in <paramref name="extra"/> folders), else null.</summary>
    public static string? OnPath(string name, params string[] extra) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(extra)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
}
