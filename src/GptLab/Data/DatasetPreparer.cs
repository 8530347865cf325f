using System.Diagnostics;
using System.Text;
using GptLab.IO;
using GptLab.Tokenizers;

namespace GptLab.Data;

/// <summary>Everything <c>gptlab prepare</c> takes.</summary>
public sealed record PrepareOptions
{
    public required CorpusSource Source { get; init; }
    public required string OutDir { get; init; }
    public string Name { get; init; } = "";
    public string Tokenizer { get; init; } = "char";
    public bool Force { get; init; }
    public double ValFraction { get; init; } = 0.1;
    public bool SplitByDocuments { get; init; }       // whole documents go to one split
    public bool Shuffle { get; init; }                 // with SplitByDocuments: which documents go to val is random
    public int Seed { get; init; } = 1337;
    public CleanOptions Clean { get; init; } = new();
    public Func<ITokenizer>? TokenizerFactory { get; init; }   // a tokenizer built elsewhere (e.g. from --tokenizer-file)
    public int VocabSize { get; init; } = 4096;                // bpe: the vocabulary to train
    public IReadOnlyList<string> Specials { get; init; } = ["<|endoftext|>"];   // bpe: special tokens
    public int MinCount { get; init; } = 1;                    // word: pieces seen fewer times become <unk>
    public IProgress<BpeProgress>? BpeProgress { get; init; }
}

/// <summary>Progress of a pass over the corpus.</summary>
public readonly record struct PrepareProgress(string Stage, long Bytes, long TotalBytes, long Tokens);

/// <summary>
/// Turns a corpus into <c>train.bin</c>, <c>val.bin</c>, the tokenizer and <c>meta.json</c>. Two streaming passes
/// (count, then encode) keep memory bounded whatever the corpus size; the output is written to a staging folder
/// and renamed into place, so a failure never leaves a half-written dataset.
/// </summary>
public static class DatasetPreparer
{
    public static DatasetMeta Prepare(PrepareOptions o, IProgress<PrepareProgress>? progress = null, CancellationToken cancel = default)
    {
        if (o.ValFraction is < 0 or >= 1 || double.IsNaN(o.ValFraction))
            throw new GptLabException($"--val-fraction must be in [0, 1), got {o.ValFraction}");
        if (o.TokenizerFactory == null && !TokenizerStore.Kinds.Contains(o.Tokenizer))
            throw new GptLabException($"unknown tokenizer '{o.Tokenizer}' (expected one of: {string.Join(", ", TokenizerStore.Kinds)})");
        if (Directory.Exists(o.OutDir) && Directory.EnumerateFileSystemEntries(o.OutDir).Any() && !o.Force)
            throw new GptLabException($"{o.OutDir} already holds a dataset — pass --force to replace it, or --out another folder");
        string staging;
        try { staging = AtomicDirectory.CreateStaging(o.OutDir); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new GptLabException($"cannot write to {o.OutDir} ({e.Message})");
        }
        try
        {
            var meta = PrepareInto(staging, o, progress, cancel);
            AtomicDirectory.Commit(staging, o.OutDir);
            return meta;
        }
        catch
        {
            AtomicDirectory.TryDelete(staging);
            throw;
        }
    }

    private static DatasetMeta PrepareInto(string dir, PrepareOptions o, IProgress<PrepareProgress>? progress, CancellationToken cancel)
    {
        var cleaner = new TextCleaner(o.Clean);
        var (sourceBytes, sha) = o.Source.Fingerprint();

        // Pass 1: count characters and documents, collect the character set (char) or the word counts (bpe).
        long totalChars = 0, documents = 0, bytesSeen = 0;
        var charSet = new HashSet<int>();
        bool wantChars = o.TokenizerFactory == null && o.Tokenizer == "char";
        bool wantWords = o.TokenizerFactory == null && o.Tokenizer == "bpe";
        if (wantWords && o.VocabSize < 256 + o.Specials.Count)
            throw new GptLabException($"--vocab-size {o.VocabSize} is too small: byte-level BPE needs at least 256 + {o.Specials.Count} special token(s)");
        IEnumerable<string> Scan()
        {
            foreach (var raw in o.Source.ReadPieces())
            {
                cancel.ThrowIfCancellationRequested();
                string text = cleaner.Clean(raw.Text);
                totalChars += CountCodePoints(text);
                bytesSeen += Encoding.UTF8.GetByteCount(raw.Text);
                if (raw.EndsDocument) documents++;
                if (wantChars) AddCodePoints(text, charSet);
                progress?.Report(new PrepareProgress("scan", bytesSeen, sourceBytes, 0));
                yield return text;
            }
        }
        Dictionary<string, long>? words = null;
        if (wantWords) words = BpeTrainer.CountWords(Scan(), o.Specials, o.BpeProgress);
        else if (o.TokenizerFactory == null && o.Tokenizer == "word") words = WordTokenizer.Count(Scan());
        else foreach (var _ in Scan()) { }
        if (totalChars == 0) throw new GptLabException($"{o.Source.Description}: the corpus is empty (no text after cleaning)");

        ITokenizer tokenizer = o.TokenizerFactory?.Invoke() ?? o.Tokenizer switch
        {
            "char" => new CharTokenizer(charSet, withEos: documents > 1),
            "gpt2" => new Gpt2Tokenizer(),
            "word" => WordTokenizer.FromCounts(words!, o.VocabSize, o.MinCount, withEos: documents > 1),
            _ => new BpeTokenizer(BpeTrainer.Train(words!, o.VocabSize, o.Specials, o.BpeProgress)),
        };
        string tokenizerFile = tokenizer.Save(dir);

        // Which documents go to val: the tail of the text (nanoGPT), or whole documents, optionally shuffled.
        long cut = (long)(totalChars * (1 - o.ValFraction));
        bool[]? docIsVal = null;
        if (o.SplitByDocuments)
        {
            long nVal = (long)Math.Round(documents * o.ValFraction);
            if (o.ValFraction > 0 && nVal == 0) nVal = 1;
            if (nVal >= documents && o.ValFraction > 0)
                throw new GptLabException($"the corpus has {documents:N0} document(s): too few to split by documents — use the default split or add text");
            docIsVal = new bool[documents];
            var order = Enumerable.Range(0, (int)documents).ToArray();
            if (o.Shuffle) new Random(o.Seed).Shuffle(order);
            else Array.Reverse(order);   // unshuffled: the last documents are val
            for (int i = 0; i < nVal; i++) docIsVal[order[i]] = true;
        }

        // Pass 2: encode in parallel batches, write in order.
        var splits = new[] { new SplitWriter(Path.Combine(dir, "train.bin"), tokenizer), new SplitWriter(Path.Combine(dir, "val.bin"), tokenizer) };
        try
        {
            long chars = 0, doc = 0;
            bytesSeen = 0;
            var batch = new List<(string Text, int Split, bool Starts, bool Ends)>();
            long batchChars = 0;
            bool startsDoc = true;
            foreach (var raw in o.Source.ReadPieces())
            {
                cancel.ThrowIfCancellationRequested();
                string text = cleaner.Clean(raw.Text);
                bytesSeen += Encoding.UTF8.GetByteCount(raw.Text);
                if (docIsVal != null)
                {
                    batch.Add((text, docIsVal[doc] ? 1 : 0, startsDoc, raw.EndsDocument));
                }
                else
                {
                    long n = CountCodePoints(text);
                    if (chars >= cut) batch.Add((text, 1, startsDoc, raw.EndsDocument));
                    else if (chars + n <= cut) batch.Add((text, 0, startsDoc, raw.EndsDocument));
                    else
                    {
                        int at = CodePointIndex(text, cut - chars);
                        batch.Add((text[..at], 0, startsDoc, true));
                        batch.Add((text[at..], 1, true, raw.EndsDocument));
                    }
                    chars += n;
                }
                batchChars += text.Length;
                startsDoc = raw.EndsDocument;
                if (raw.EndsDocument) doc++;
                if (batchChars >= 4 * CorpusSource.PieceChars || batch.Count >= 4096)
                {
                    Flush(batch, splits, tokenizer);
                    batchChars = 0;
                    progress?.Report(new PrepareProgress("encode", bytesSeen, sourceBytes, splits[0].Tokens + splits[1].Tokens));
                }
            }
            Flush(batch, splits, tokenizer);
            progress?.Report(new PrepareProgress("encode", bytesSeen, sourceBytes, splits[0].Tokens + splits[1].Tokens));
            foreach (var s in splits) s.Complete();
        }
        finally
        {
            foreach (var s in splits) s.Dispose();
        }
        if (o.ValFraction > 0 && splits[1].Tokens == 0)
            throw new GptLabException("the validation split is empty — raise --val-fraction or add text");
        if (splits[0].Tokens < 2)
            throw new GptLabException("the training split has fewer than 2 tokens — add text or lower --val-fraction");

        var meta = new DatasetMeta
        {
            Name = o.Name,
            Tokenizer = new DatasetMeta.TokenizerInfo { Kind = tokenizer.Kind, VocabSize = tokenizer.VocabSize, EosId = tokenizer.EosId, File = tokenizerFile },
            TokenDtype = TokenShard.VersionFor(tokenizer.VocabSize) == 1 ? "uint16" : "uint32",
            Train = splits[0].Info,
            Val = splits[1].Info,
            Source = new DatasetMeta.SourceInfo { Description = o.Source.Description, Bytes = sourceBytes, Sha256 = sha },
            Options = new Dictionary<string, string>
            {
                ["format"] = o.Source.Format.ToString().ToLowerInvariant(),
                ["documents"] = o.Source.Mode.ToString().ToLowerInvariant(),
                ["val_fraction"] = o.ValFraction.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["split_by"] = o.SplitByDocuments ? "documents" : "tail",
                ["shuffle"] = o.Shuffle.ToString().ToLowerInvariant(),
                ["seed"] = o.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["clean"] = string.Join(",", new[] { o.Clean.FixMojibake ? "mojibake" : null, o.Clean.AsciiQuotes ? "quotes" : null, o.Clean.JoinLines ? "join-lines" : null }.Where(x => x != null)),
                ["drop_lines"] = o.Clean.DropLinesRegex ?? "",
                ["specials"] = tokenizer.Kind == "bpe" ? string.Join(",", o.Specials) : "",
                ["min_count"] = tokenizer.Kind == "word" ? o.MinCount.ToString(System.Globalization.CultureInfo.InvariantCulture) : "",
            },
            CreatedUtc = DateTime.UtcNow,
        };
        Json.Write(Path.Combine(dir, DatasetMeta.FileName), meta);
        return meta;
    }

    private static void Flush(List<(string Text, int Split, bool Starts, bool Ends)> batch, SplitWriter[] splits, ITokenizer tokenizer)
    {
        var encoded = new List<int>[batch.Count];
        Parallel.For(0, batch.Count, i =>
        {
            var ids = new List<int>(batch[i].Text.Length / 3 + 8);
            tokenizer.Encode(batch[i].Text, ids);
            encoded[i] = ids;
        });
        for (int i = 0; i < batch.Count; i++)
            splits[batch[i].Split].Add(encoded[i], batch[i].Text, batch[i].Starts, batch[i].Ends);
        batch.Clear();
    }

    public static long CountCodePoints(string s)
    {
        long n = s.Length;
        foreach (char c in s) if (char.IsLowSurrogate(c)) n--;
        return n;
    }

    private static int CodePointIndex(string s, long codePoints)
    {
        int i = 0;
        for (long k = 0; k < codePoints && i < s.Length; k++)
            i += char.IsHighSurrogate(s[i]) && i + 1 < s.Length ? 2 : 1;
        return i;
    }

    private static void AddCodePoints(string s, HashSet<int> set)
    {
        for (int i = 0; i < s.Length; i++)
        {
            int cp = s[i];
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) cp = char.ConvertToUtf32(s[i], s[++i]);
            set.Add(cp);
        }
    }

    /// <summary>Writes one split: EOS between documents, counts of tokens, documents, characters and bytes.</summary>
    private sealed class SplitWriter(string path, ITokenizer tokenizer) : IDisposable
    {
        private readonly TokenShardWriter writer = new(path, tokenizer.VocabSize);
        private bool inDocument;
        private long documents, chars, bytes;

        public long Tokens => writer.Count;

        public void Add(List<int> ids, string text, bool startsDocument, bool endsDocument)
        {
            if (startsDocument && !inDocument && writer.Count > 0 && tokenizer.EosId is int eos) writer.Write(eos);
            writer.Write(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(ids));
            chars += CountCodePoints(text);
            bytes += Encoding.UTF8.GetByteCount(text);
            inDocument = !endsDocument;
            if (endsDocument && (ids.Count > 0 || text.Length > 0)) documents++;
        }

        public void Complete() => writer.Complete();

        public DatasetMeta.SplitInfo Info => new() { Tokens = writer.Count, Documents = documents, Chars = chars, Bytes = bytes };

        public void Dispose() => writer.Dispose();
    }
}
