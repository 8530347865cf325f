namespace GptLab.Server;

/// <summary>What the server's caches key on: a file's length and last write time ("-" when it is missing). A file
/// appended to or rewritten gets a new stamp.</summary>
internal static class FileStamp
{
    public static string Of(string path)
    {
        var i = new FileInfo(path);
        return i.Exists ? $"{i.Length}:{i.LastWriteTimeUtc.Ticks}" : "-";
    }
}
