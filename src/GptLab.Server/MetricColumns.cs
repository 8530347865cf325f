using System.Text;
using System.Text.Json;

namespace GptLab.Server;

/// <summary>
/// A run's metrics.jsonl as columns — <c>{"count":N,"columns":{"kind":[…],"step":[…],"loss":[…],…},"offset":O}</c> — for
/// the run page's first paint. A run of 100,000 lines is 20 MB as records (key names and a timestamp on every line) and
/// about a third as columns, which the browser parses without making 100,000 objects. Numbers are copied as written
/// (never parsed and formatted again), the "kind" string kept, null where a line lacks the key or holds a non-finite
/// number ("NaN"); other strings (the time) and nested values are left out. As <c>JsonLines</c> reads: a last line
/// without its newline that does not parse is still being written (the offset stays before it); a damaged line is skipped.
/// </summary>
internal static class MetricColumns
{
    private readonly record struct Cell(int Column, int Start, int Length, bool Text);

    /// <summary>The file as columns; with <paramref name="envelope"/>, a run with more training lines than 4 × that
    /// keeps, in each of that many equal slices of steps, the first, last, lowest and highest line of every numeric
    /// column — the picture a chart can show, spikes included (W&amp;B samples long runs too) — and every other kind of
    /// line (evaluations). "lines" says how many the file holds, "kept" how many were sent.</summary>
    public static byte[] Read(string path, int? envelope = null)
    {
        // the answer is kept while the file is unchanged (a page opened again, several pages on one run)
        string stamp = FileStamp.Of(path);
        var key = (path, envelope);
        if (Cache.TryGetValue(key, out var hit) && hit.Stamp == stamp) return hit.Json;
        byte[] json = Columns(path, envelope);
        if (Cache.Count >= 32) Cache.Clear();
        Cache[key] = (stamp, json);
        return json;
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string, int?), (string Stamp, byte[] Json)> Cache = new();

    private static byte[] Columns(string path, int? envelope)
    {
        byte[] bytes;
        try
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            bytes = new byte[fs.Length];
            fs.ReadExactly(bytes);
        }
        catch (FileNotFoundException) { bytes = []; }
        var names = new List<byte[]>();
        var columns = new List<List<Cell>>();
        var cells = new List<Cell>();
        int rows = 0, start = 0;
        while (start < bytes.Length)
        {
            int newline = Array.IndexOf(bytes, (byte)'\n', start);
            bool complete = newline >= 0;
            int end = complete ? newline : bytes.Length;
            cells.Clear();
            bool ok = end > start && Parse(bytes, start, end, names, columns, cells);
            if (ok)
            {
                foreach (var c in cells)
                {
                    var column = columns[c.Column];
                    while (column.Count < rows) column.Add(default);
                    column.Add(c);
                }
                rows++;
            }
            else if (!complete && !IsBlank(bytes.AsSpan(start, end - start))) break;   // still being written
            start = complete ? end + 1 : end;
        }
        var keep = envelope is int buckets ? Envelope(bytes, names, columns, rows, buckets) : null;
        int kept = keep is null ? rows : keep.Count(k => k);
        using var output = new MemoryStream(bytes.Length / 3 + 64);
        using (var w = new Utf8JsonWriter(output))
        {
            w.WriteStartObject();
            w.WriteNumber("count", kept);
            w.WriteNumber("lines", rows);
            w.WriteStartObject("columns");
            for (int k = 0; k < names.Count; k++)
            {
                w.WriteStartArray(Encoding.UTF8.GetString(names[k]));
                var column = columns[k];
                for (int i = 0; i < rows; i++)
                {
                    if (keep is not null && !keep[i]) continue;
                    var c = i < column.Count ? column[i] : default;
                    if (c.Length == 0) w.WriteNullValue();
                    else if (c.Text) w.WriteStringValue(bytes.AsSpan(c.Start, c.Length));
                    else w.WriteRawValue(bytes.AsSpan(c.Start, c.Length), skipInputValidation: true);
                }
                w.WriteEndArray();
            }
            w.WriteEndObject();
            w.WriteNumber("offset", start);
            w.WriteEndObject();
        }
        return output.ToArray();
    }

    private static bool[]? Envelope(byte[] bytes, List<byte[]> names, List<List<Cell>> columns, int rows, int buckets)
    {
        int kindColumn = names.FindIndex(n => n.AsSpan().SequenceEqual("kind"u8)), stepColumn = names.FindIndex(n => n.AsSpan().SequenceEqual("step"u8));
        if (kindColumn < 0 || stepColumn < 0) return null;
        Cell At(int column, int row) => row < columns[column].Count ? columns[column][row] : default;
        double Number(int column, int row)
        {
            var c = At(column, row);
            return c.Length > 0 && !c.Text && System.Buffers.Text.Utf8Parser.TryParse(bytes.AsSpan(c.Start, c.Length), out double v, out _) ? v : double.NaN;
        }
        bool IsTrain(int row) { var c = At(kindColumn, row); return c.Length > 0 && bytes.AsSpan(c.Start, c.Length).SequenceEqual("train"u8); }
        var train = Enumerable.Range(0, rows).Where(IsTrain).ToList();
        if (train.Count <= 4 * buckets) return null;
        var keep = new bool[rows];
        for (int r = 0; r < rows; r++) keep[r] = !IsTrain(r);
        double first = Number(stepColumn, train[0]), span = Math.Max(1e-9, Number(stepColumn, train[^1]) - first);
        var numeric = Enumerable.Range(0, names.Count).Where(k => k != kindColumn).ToList();
        int i = 0;
        while (i < train.Count)
        {
            int bucket = Math.Min(buckets - 1, (int)((Number(stepColumn, train[i]) - first) / span * buckets));
            int j = i;
            while (j < train.Count && Math.Min(buckets - 1, (int)((Number(stepColumn, train[j]) - first) / span * buckets)) == bucket) j++;
            if (j == i) j = i + 1;   // a step that is not a number: its own slice
            keep[train[i]] = keep[train[j - 1]] = true;
            foreach (int k in numeric)
            {
                int lo = -1, hi = -1;
                double low = double.PositiveInfinity, high = double.NegativeInfinity;
                for (int t = i; t < j; t++)
                {
                    double v = Number(k, train[t]);
                    if (double.IsNaN(v)) continue;
                    if (v < low) { low = v; lo = t; }
                    if (v > high) { high = v; hi = t; }
                }
                if (lo >= 0) keep[train[lo]] = keep[train[hi]] = true;
            }
            i = j;
        }
        return keep;
    }

    private static bool IsBlank(ReadOnlySpan<byte> s) => s.Trim(" \t\r"u8).Length == 0;

    private static bool Parse(byte[] bytes, int start, int end, List<byte[]> names, List<List<Cell>> columns, List<Cell> cells)
    {
        var line = bytes.AsSpan(start, end - start);
        if (IsBlank(line)) return false;
        var reader = new Utf8JsonReader(line);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                // the key, as bytes of the line (no copy), or decoded when it holds escapes
                byte[]? escaped = reader.ValueIsEscaped ? Encoding.UTF8.GetBytes(reader.GetString()!) : null;
                int keyStart = (int)reader.TokenStartIndex + 1, keyLength = reader.ValueSpan.Length;
                reader.Read();
                var key = escaped ?? line.Slice(keyStart, keyLength);
                bool kind = reader.TokenType == JsonTokenType.String && key.SequenceEqual("kind"u8);
                if (reader.TokenType == JsonTokenType.Number || kind)
                    cells.Add(new Cell(ColumnOf(key, names, columns), start + (int)reader.TokenStartIndex + (kind ? 1 : 0), reader.ValueSpan.Length, kind));
                else reader.Skip();   // the time, non-finite numbers ("NaN"), anything nested: no column
            }
            return reader.TokenType == JsonTokenType.EndObject && !reader.Read();
        }
        catch (JsonException) { return false; }
    }

    private static int ColumnOf(ReadOnlySpan<byte> name, List<byte[]> names, List<List<Cell>> columns)
    {
        for (int k = 0; k < names.Count; k++)
            if (names[k].AsSpan().SequenceEqual(name)) return k;
        names.Add(name.ToArray());
        columns.Add([]);
        return names.Count - 1;
    }
}
