using System.Text;

namespace GptLab.IO;

/// <summary>
/// Every file GptLab writes goes through here: written under a temporary name in the same folder, then renamed over
/// the target only when complete. A failure (a full disk, a kill) leaves the previous file intact and no partial
/// file behind. Text is UTF-8 without a byte-order mark.
/// </summary>
internal static class AtomicFile
{
    public static readonly Encoding Utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);

    /// <summary>Lets <paramref name="write"/> fill a temporary path, then moves it onto <paramref name="path"/>.</summary>
    public static void Write(string path, Action<string> write)
    {
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        // keep the extension: some writers (image encoders) pick the format from it
        string tmp = Path.Combine(dir, $".{Path.GetFileNameWithoutExtension(full)}.tmp-{Guid.NewGuid():N}{Path.GetExtension(full)}");
        try
        {
            write(tmp);
            File.Move(tmp, full, overwrite: true);
        }
        catch (IOException e) when (IsDiskFull(e))
        {
            TryDelete(tmp);
            throw new GptLabException($"cannot write {path}: the disk is full (the previous file, if any, is unchanged)", 2);
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }
    }

    public static void WriteAllText(string path, string text) => Write(path, tmp => File.WriteAllText(tmp, text, Utf8));

    public static void WriteAllLines(string path, IEnumerable<string> lines) => Write(path, tmp => File.WriteAllLines(tmp, lines, Utf8));

    public static void WriteAllBytes(string path, byte[] bytes) => Write(path, tmp => File.WriteAllBytes(tmp, bytes));

    /// <summary>ENOSPC (28) or EDQUOT (122).</summary>
    public static bool IsDiskFull(IOException e) => (e.HResult & 0xFFFF) is 28 or 122 || e.Message.Contains("No space left", StringComparison.Ordinal);

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
