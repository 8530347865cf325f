using System.Text;
using System.Text.Json;

namespace GptLab.IO;

/// <summary>
/// The one reader of .jsonl files (metrics, samples), shared by whole-file readers (<c>RunDirectory</c>) and live
/// views that keep a byte cursor (the dashboard). The writer may be appending while we read: a last line without its
/// newline is taken only if it parses (a hand-written file's last line); otherwise it is still being written and the
/// cursor stays at its start, so the next read picks it up whole. A damaged line (a crash cut it short) is skipped.
/// A file shorter than the cursor was rewritten (a resume rewinds it) and is read from the start as <c>Reset</c>.
/// </summary>
internal static class JsonLines
{
    public readonly record struct Chunk<T>(IReadOnlyList<T> Items, long Offset, bool Reset);

    public static IReadOnlyList<T> ReadAll<T>(string path) => Read<T>(path, 0).Items;

    public static Chunk<T> Read<T>(string path, long offset)
    {
        if (!File.Exists(path)) return new([], 0, offset > 0);
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        bool reset = fs.Length < offset;
        if (reset) offset = 0;
        if (fs.Length == offset) return new([], offset, reset);
        fs.Seek(offset, SeekOrigin.Begin);
        var bytes = new byte[fs.Length - offset];
        fs.ReadExactly(bytes);
        var items = new List<T>();
        int start = 0;
        while (start < bytes.Length)
        {
            int newline = Array.IndexOf(bytes, (byte)'\n', start);
            bool complete = newline >= 0;
            int end = complete ? newline : bytes.Length;
            var line = Encoding.UTF8.GetString(bytes, start, end - start);
            if (!string.IsNullOrWhiteSpace(line))
            {
                var item = Parse<T>(line);
                if (item is not null) items.Add(item);
                else if (!complete) break;                     // still being written: read it again next time
            }
            start = complete ? end + 1 : end;
        }
        return new(items, offset + start, reset);
    }

    private static T? Parse<T>(string line)
    {
        try { return JsonSerializer.Deserialize<T>(line, Json.Line); }
        catch (JsonException) { return default; }
    }
}
