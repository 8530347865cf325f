using System.Text;
using System.Text.Json;
using GptLab.IO;

namespace GptLab.Server;

/// <summary>
/// Reads the complete lines appended to a .jsonl file since a byte offset (a live view's cursor), sharing the file
/// with the process that writes it. A line still being written (no newline yet) waits for the next read; a file
/// shorter than the cursor was rewritten (a resume rewinds it) and is reported as <c>Reset</c>.
/// </summary>
internal static class JsonlTail
{
    public readonly record struct Chunk<T>(IReadOnlyList<T> Items, long Offset, bool Reset);

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
        int end = Array.LastIndexOf(bytes, (byte)'\n');
        if (end < 0) return new([], offset, reset);
        var items = new List<T>();
        foreach (var line in Encoding.UTF8.GetString(bytes, 0, end).Split('\n'))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            try { if (JsonSerializer.Deserialize<T>(line, Json.Line) is T t) items.Add(t); }
            catch (JsonException) { /* a line cut short by a crash: skip it, as RunDirectory does */ }
        }
        return new(items, offset + end + 1, reset);
    }
}
