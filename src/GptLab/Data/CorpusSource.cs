using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Parquet;
using Parquet.Schema;

namespace GptLab.Data;

/// <summary>Input format of a corpus file.</summary>
public enum SourceFormat { Text, Jsonl, Parquet }

/// <summary>
/// A corpus: one or more files (or the built-in Tiny Shakespeare) read as a stream of <see cref="TextPiece"/>s.
/// Reading can be repeated (the preparer reads twice: once to count, once to encode), and never holds the whole
/// corpus in memory.
/// </summary>
public sealed class CorpusSource
{
    /// <summary>Long documents are cut into pieces of about this many characters.</summary>
    public const int PieceChars = 1 << 20;

    private readonly Func<Stream>[] opens;

    private CorpusSource(string description, Func<Stream>[] opens, SourceFormat format)
    {
        Description = description;
        this.opens = opens;
        Format = format;
    }

    public string Description { get; }
    public SourceFormat Format { get; }
    public DocumentMode Mode { get; init; } = DocumentMode.Whole;
    public string Separator { get; init; } = "<|endoftext|>";
    public string Field { get; init; } = "text";   // JSON Lines field / Parquet column

    public static Stream OpenShakespeare() =>
        typeof(CorpusSource).Assembly.GetManifestResourceStream("GptLab.Data.shakespeare.txt")
        ?? throw new GptLabException("the built-in Tiny Shakespeare is missing from GptLab.dll; rebuild GptLab");

    public static CorpusSource BuiltInShakespeare() =>
        new("built-in Tiny Shakespeare", [OpenShakespeare], SourceFormat.Text);

    /// <summary>A file, or every file under a folder matching <paramref name="glob"/> (sorted by path); <c>-</c> is
    /// standard input, and a pipe (<c>/dev/stdin</c>, a FIFO) is read once into a temporary file, since the preparer
    /// reads its corpus twice.</summary>
    public static CorpusSource FromPath(string path, SourceFormat? format, string glob = "*.txt")
    {
        if (path == "-") return Spooled("standard input", Console.OpenStandardInput(), format ?? SourceFormat.Text);
        if (File.Exists(path) && !Directory.Exists(path))
        {
            var probe = File.OpenRead(path);
            if (!probe.CanSeek) return Spooled(path, probe, format ?? GuessFormat(path));
            probe.Dispose();
        }
        string[] files;
        if (Directory.Exists(path))
        {
            files = Directory.GetFiles(path, glob, SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
            if (files.Length == 0) throw new GptLabException($"{path} has no files matching '{glob}' — pass --glob to pick others");
        }
        else if (File.Exists(path)) files = [path];
        else throw new GptLabException($"{path}: no such file or folder");
        var fmt = format ?? GuessFormat(files[0]);
        return new CorpusSource(path, files.Select(f => (Func<Stream>)(() => File.OpenRead(f))).ToArray(), fmt);
    }

    /// <summary>A stream that can be read only once, copied to a temporary file (deleted when the process exits).</summary>
    private static CorpusSource Spooled(string description, Stream once, SourceFormat format)
    {
        string tmp = Path.Combine(Path.GetTempPath(), $"gptlab-stdin-{Guid.NewGuid():N}");
        using (once)
        using (var copy = File.Create(tmp)) once.CopyTo(copy);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete(tmp);
        return new CorpusSource(description, [() => File.OpenRead(tmp)], format);
    }

    public static SourceFormat GuessFormat(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".jsonl" or ".ndjson" => SourceFormat.Jsonl,
        ".parquet" => SourceFormat.Parquet,
        _ => SourceFormat.Text,
    };

    public CorpusSource With(DocumentMode mode, string? separator, string? field) => new(Description, opens, Format)
    {
        Mode = mode,
        Separator = separator ?? Separator,
        Field = field ?? Field,
    };

    /// <summary>Total bytes and sha256 over every input file, in order.</summary>
    public (long Bytes, string Sha256) Fingerprint()
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long bytes = 0;
        var buffer = new byte[1 << 20];
        foreach (var open in opens)
        {
            using var s = open();
            int n;
            while ((n = s.Read(buffer)) > 0) { sha.AppendData(buffer, 0, n); bytes += n; }
        }
        return (bytes, Convert.ToHexStringLower(sha.GetHashAndReset()));
    }

    public IEnumerable<TextPiece> ReadPieces()
    {
        foreach (var open in opens)
        {
            IEnumerable<TextPiece> pieces = Format switch
            {
                SourceFormat.Jsonl => ReadJsonl(open),
                SourceFormat.Parquet => Checked(ReadParquet(open), "Parquet"),
                _ => Mode switch
                {
                    DocumentMode.Separator => ReadSeparated(open),
                    DocumentMode.PerLine => ReadPerLine(open),
                    _ => ReadWhole(open),
                },
            };
            foreach (var p in pieces) yield return p;
        }
    }

    /// <summary>A whole file as one document, cut into ~1M-character pieces at token-safe places.</summary>
    private static IEnumerable<TextPiece> ReadWhole(Func<Stream> open)
    {
        using var reader = new StreamReader(open(), Encoding.UTF8, detectEncodingFromByteOrderMarks: true, 1 << 16);
        var block = new char[PieceChars];
        var carry = new StringBuilder();
        int n;
        while ((n = reader.ReadBlock(block, 0, block.Length)) > 0)
        {
            carry.Append(block, 0, n);
            if (carry.Length < PieceChars) continue;
            string s = carry.ToString();
            int cut = SafeCut(s);
            if (cut <= 0 && s.Length >= 4 * PieceChars) cut = HardCut(s);   // a huge line: bounded memory wins
            if (cut <= 0) continue;   // no safe place yet: keep reading
            yield return new TextPiece(s[..cut], false);
            carry.Clear().Append(s, cut, s.Length - cut);
        }
        yield return new TextPiece(carry.ToString(), true);
    }

    /// <summary>
    /// The last position after a lone newline that has non-whitespace on both sides. GPT-2's pre-tokenizer
    /// (and any byte-level BPE using it) always splits there, so encoding the two sides separately gives the same
    /// tokens as encoding the whole.
    /// </summary>
    internal static int SafeCut(string s)
    {
        for (int i = s.Length - 1; i >= 2; i--)
            if (s[i - 1] == '\n' && !char.IsWhiteSpace(s[i]) && !char.IsWhiteSpace(s[i - 2])) return i;
        return -1;
    }

    /// <summary>For text without line breaks: before a single space between two non-space characters (the
    /// pre-tokenizer splits there too), else anywhere that does not split a surrogate pair.</summary>
    internal static int HardCut(string s)
    {
        for (int i = s.Length - 2; i >= 1; i--)
            if (s[i] == ' ' && !char.IsWhiteSpace(s[i - 1]) && !char.IsWhiteSpace(s[i + 1])) return i;
        int at = s.Length - 1;
        return char.IsLowSurrogate(s[at]) ? at - 1 : at;
    }

    private IEnumerable<TextPiece> ReadSeparated(Func<Stream> open)
    {
        using var reader = new StreamReader(open(), Encoding.UTF8, true, 1 << 16);
        var doc = new StringBuilder();
        string? line;
        while ((line = reader.ReadLine()) != null)
        {
            if (line.Trim() == Separator)
            {
                string d = doc.ToString().Trim();
                if (d.Length > 0) yield return new TextPiece(d, true);
                doc.Clear();
                continue;
            }
            if (doc.Length > 0) doc.Append('\n');
            doc.Append(line);
        }
        string last = doc.ToString().Trim();
        if (last.Length > 0) yield return new TextPiece(last, true);
    }

    private static IEnumerable<TextPiece> ReadPerLine(Func<Stream> open)
    {
        using var reader = new StreamReader(open(), Encoding.UTF8, true, 1 << 16);
        string? line;
        while ((line = reader.ReadLine()) != null)
        {
            string t = line.Trim();
            if (t.Length > 0) yield return new TextPiece(t, true);
        }
    }

    private IEnumerable<TextPiece> ReadJsonl(Func<Stream> open)
    {
        using var reader = new StreamReader(open(), Encoding.UTF8, true, 1 << 16);
        string? line;
        long lineNo = 0;
        while ((line = reader.ReadLine()) != null)
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            string? text;
            try
            {
                using var doc = JsonDocument.Parse(line);
                if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty(Field, out var v))
                    throw new GptLabException($"{Description}: line {lineNo:N0} has no field '{Field}' — pass --field NAME");
                text = v.ValueKind == JsonValueKind.String ? v.GetString() : v.ValueKind == JsonValueKind.Null ? null : v.GetRawText();
            }
            catch (JsonException e)
            {
                throw new GptLabException($"{Description}: line {lineNo:N0} is not valid JSON ({e.Message.Split('\n')[0]})");
            }
            if (!string.IsNullOrWhiteSpace(text)) yield return new TextPiece(text.Trim(), true);
        }
    }

    /// <summary>A reader's own exceptions (a damaged file: Thrift, decompression, bounds) as one line naming the file.</summary>
    private IEnumerable<TextPiece> Checked(IEnumerable<TextPiece> pieces, string format)
    {
        using var e = pieces.GetEnumerator();
        while (true)
        {
            bool more;
            try { more = e.MoveNext(); }
            catch (Exception x) when (x is not GptLabException and not OperationCanceledException)
            {
                throw new GptLabException($"{Description}: not a readable {format} file ({x.GetType().Name}: {x.Message.Split('\n')[0]}) — it is damaged or not {format}");
            }
            if (!more) yield break;
            yield return e.Current;
        }
    }

    private IEnumerable<TextPiece> ReadParquet(Func<Stream> open)
    {
        using var stream = open();
        var reader = Sync(ParquetReader.CreateAsync(stream));
        try
        {
            var field = reader.Schema.GetDataFields().FirstOrDefault(f => f.Name == Field)
                ?? throw new GptLabException(
                    $"{Description}: no column '{Field}' (columns: {string.Join(", ", reader.Schema.GetDataFields().Select(f => f.Name))}) — pass --column NAME");
            for (int g = 0; g < reader.RowGroupCount; g++)
            {
                using var group = reader.OpenRowGroupReader(g);
                var values = new string?[checked((int)group.RowCount)];
                group.ReadAsync(field, values.AsMemory(), null, CancellationToken.None).AsTask().GetAwaiter().GetResult();
                foreach (string? s in values)
                    if (!string.IsNullOrWhiteSpace(s)) yield return new TextPiece(s.Trim(), true);
            }
        }
        finally
        {
            reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    private static T Sync<T>(Task<T> task) => task.GetAwaiter().GetResult();
}
