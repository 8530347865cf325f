using System.Collections.Concurrent;
using System.Text;
using System.Text.RegularExpressions;

namespace GptLab.Tokenizers;

/// <summary>Progress of BPE training.</summary>
public readonly record struct BpeProgress(string Stage, long Done, long Total);

/// <summary>
/// Trains a byte-level BPE tokenizer as GPT-2's: the 256 byte tokens first, text split by GPT-2's pre-tokenization
/// regex (merges never cross words, numbers, punctuation or spaces), merges chosen by pair frequency, ties broken
/// by the smaller (left id, right id). Special tokens get their own ids after the merges and are never split.
/// No .NET BPE trainer is on NuGet (Microsoft.ML.Tokenizers 2.0 encodes but cannot train), so this one is ours;
/// encoding stays in Microsoft.ML.Tokenizers (<see cref="BpeTokenizer"/>).
///
/// Speed: words are counted once (in parallel over chunks), then each merge touches only the words that contain
/// the merged pair, updating pair counts incrementally; the best pair comes from a max-heap with lazy deletion.
/// </summary>
public static class BpeTrainer
{
    /// <summary>GPT-2's pre-tokenization pattern (tiktoken r50k_base).</summary>
    public const string Gpt2Pattern = @"'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    public static readonly Regex Gpt2Regex = new(Gpt2Pattern, RegexOptions.Compiled);

    /// <summary>Counts pre-tokenized words over <paramref name="texts"/> (special tokens are cut out first).</summary>
    public static Dictionary<string, long> CountWords(IEnumerable<string> texts, IReadOnlyList<string> specials, IProgress<BpeProgress>? progress = null)
    {
        var total = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        long done = 0;
        Regex? specialSplit = specials.Count == 0 ? null : new Regex(string.Join("|", specials.Select(Regex.Escape)));
        Parallel.ForEach(Chunks(texts), () => new Dictionary<string, long>(StringComparer.Ordinal), (chunk, _, local) =>
        {
            foreach (string part in specialSplit is null ? [chunk] : specialSplit.Split(chunk))
                foreach (var m in Gpt2Regex.EnumerateMatches(part))
                {
                    string w = part.Substring(m.Index, m.Length);
                    local[w] = local.GetValueOrDefault(w) + 1;
                }
            progress?.Report(new BpeProgress("count", Interlocked.Add(ref done, chunk.Length), 0));
            return local;
        }, local =>
        {
            foreach (var (w, c) in local) total.AddOrUpdate(w, c, (_, old) => old + c);
        });
        return new Dictionary<string, long>(total, StringComparer.Ordinal);
    }

    /// <summary>Groups small texts into ~1M-character chunks for parallel counting.</summary>
    private static IEnumerable<string> Chunks(IEnumerable<string> texts)
    {
        var sb = new StringBuilder();
        foreach (var t in texts)
        {
            if (t.Length >= 1 << 20) { yield return t; continue; }
            // documents are joined with a character the regex always splits at, so words never straddle them
            sb.Append(t).Append('\u0000');
            if (sb.Length >= 1 << 20) { yield return sb.ToString(); sb.Clear(); }
        }
        if (sb.Length > 0) yield return sb.ToString();
    }

    /// <summary>Learns merges until the vocabulary (256 bytes + merges + specials) has <paramref name="vocabSize"/> tokens.</summary>
    public static BpeModel Train(IReadOnlyDictionary<string, long> wordCounts, int vocabSize, IReadOnlyList<string> specials, IProgress<BpeProgress>? progress = null)
    {
        int targetMerges = vocabSize - 256 - specials.Count;
        if (targetMerges < 0)
            throw new GptLabException($"--vocab-size {vocabSize} is too small: byte-level BPE needs at least 256 + {specials.Count} special token(s) = {256 + specials.Count}");
        var words = new List<int[]>(wordCounts.Count);
        var counts = new List<long>(wordCounts.Count);
        foreach (var (w, c) in wordCounts.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (w == "\u0000") continue;
            byte[] bytes = Encoding.UTF8.GetBytes(w.Replace("\u0000", ""));
            if (bytes.Length == 0) continue;
            words.Add(bytes.Select(b => (int)b).ToArray());
            counts.Add(c);
        }

        // pair → count, and pair → the words that contain it
        var pairCount = new Dictionary<long, long>();
        var where = new Dictionary<long, HashSet<int>>();
        for (int i = 0; i < words.Count; i++) AddWordPairs(i, words[i], counts[i], pairCount, where);
        var heap = new PriorityQueue<long, (long NegCount, long Pair)>();
        foreach (var (p, c) in pairCount) heap.Enqueue(p, (-c, p));

        var tokens = new List<byte[]>(vocabSize);
        for (int b = 0; b < 256; b++) tokens.Add([(byte)b]);
        var byBytes = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int b = 0; b < 256; b++) byBytes[Convert.ToBase64String(tokens[b])] = b;
        var merges = new List<(int Left, int Right)>();

        while (tokens.Count < 256 + targetMerges && heap.TryDequeue(out long pair, out var prio))
        {
            long current = pairCount.GetValueOrDefault(pair);
            if (current <= 0) continue;
            if (-prio.NegCount != current) { heap.Enqueue(pair, (-current, pair)); continue; }   // stale entry
            int left = (int)(pair >> 32), right = (int)(pair & 0xFFFFFFFF);
            byte[] merged = [.. tokens[left], .. tokens[right]];
            string key = Convert.ToBase64String(merged);
            // Two merges can spell the same bytes ((a, bc) and (ab, c)): they share one id, as ranks must be unique.
            if (!byBytes.TryGetValue(key, out int id))
            {
                id = tokens.Count;
                tokens.Add(merged);
                byBytes[key] = id;
            }
            merges.Add((left, right));
            var touched = new HashSet<long>();
            foreach (int w in where[pair].ToArray())
            {
                int[] before = words[w];
                int[] after = Replace(before, left, right, id);
                if (after.Length == before.Length) continue;
                RemoveWordPairs(w, before, counts[w], pairCount, where, touched);
                words[w] = after;
                AddWordPairs(w, after, counts[w], pairCount, where, touched);
            }
            pairCount.Remove(pair);
            where.Remove(pair);
            foreach (long p in touched)
                if (pairCount.TryGetValue(p, out long c) && c > 0) heap.Enqueue(p, (-c, p));
            if (merges.Count % 100 == 0) progress?.Report(new BpeProgress("merge", tokens.Count - 256, targetMerges));
        }
        if (tokens.Count < 256 + targetMerges)
            throw new GptLabException(
                $"the corpus is too small for --vocab-size {vocabSize}: only {tokens.Count - 256} merges exist — lower --vocab-size to at most {tokens.Count + specials.Count} or add text");
        return new BpeModel(tokens, merges, specials);
    }

    private static long Key(int a, int b) => ((long)a << 32) | (uint)b;

    private static int[] Replace(int[] word, int left, int right, int id)
    {
        var result = new List<int>(word.Length);
        for (int i = 0; i < word.Length; i++)
        {
            if (i + 1 < word.Length && word[i] == left && word[i + 1] == right) { result.Add(id); i++; }
            else result.Add(word[i]);
        }
        return result.Count == word.Length ? word : [.. result];
    }

    private static void AddWordPairs(int w, int[] word, long count, Dictionary<long, long> pairCount, Dictionary<long, HashSet<int>> where, HashSet<long>? touched = null)
    {
        for (int i = 0; i + 1 < word.Length; i++)
        {
            long p = Key(word[i], word[i + 1]);
            pairCount[p] = pairCount.GetValueOrDefault(p) + count;
            if (!where.TryGetValue(p, out var set)) where[p] = set = [];
            set.Add(w);
            touched?.Add(p);
        }
    }

    private static void RemoveWordPairs(int w, int[] word, long count, Dictionary<long, long> pairCount, Dictionary<long, HashSet<int>> where, HashSet<long> touched)
    {
        for (int i = 0; i + 1 < word.Length; i++)
        {
            long p = Key(word[i], word[i + 1]);
            pairCount[p] -= count;
            where[p].Remove(w);
            touched.Add(p);
        }
    }
}

/// <summary>A trained byte-level BPE: tokens by rank (bytes first, then merges), the merges, the special tokens.</summary>
public sealed record BpeModel(IReadOnlyList<byte[]> Tokens, IReadOnlyList<(int Left, int Right)> Merges, IReadOnlyList<string> Specials)
{
    public int VocabSize => Tokens.Count + Specials.Count;
}
