using GptLab.Data;

namespace GptLab.Baselines;

/// <summary>
/// An n-gram language model with interpolated modified Kneser–Ney smoothing, as Chen &amp; Goodman define it and KenLM
/// and SRILM implement it: the highest order uses raw counts, every lower order the number of distinct tokens seen
/// before the n-gram (its continuation count; the n-gram that opens the stream counts its start as one more); three
/// discounts per order from the counts of counts (D1, D2, D3+), and each order interpolated with the one below,
/// down to a uniform distribution over the whole vocabulary — so the probabilities of every context sum to 1.
/// Counting streams over the shard (memory-mapped); the tables hold one entry per distinct n-gram. Written here:
/// no .NET package does Kneser–Ney.
/// </summary>
public sealed class KneserNey
{
    /// <summary>KenLM's --discount_fallback: used for an order whose counts of counts give no valid discounts
    /// (tiny corpora).</summary>
    public static readonly double[] FallbackDiscounts = [0.5, 1.0, 1.5];

    private readonly int bits;
    private readonly UInt128 tokenMask;
    private readonly Dictionary<UInt128, int>[] counts;          // [n−1]: n-gram → (adjusted) count
    private readonly Dictionary<UInt128, ContextStats>[] contexts; // [n−1]: context of n−1 tokens → its order-n totals

    private KneserNey(int order, int vocabSize, Dictionary<UInt128, int>[] counts, double[][] discounts)
    {
        Order = order;
        VocabSize = vocabSize;
        bits = BitsFor(vocabSize);
        tokenMask = (UInt128.One << bits) - 1;
        this.counts = counts;
        Discounts = discounts;
        contexts = new Dictionary<UInt128, ContextStats>[order];
        for (int n = 1; n <= order; n++)
        {
            var ctx = new Dictionary<UInt128, ContextStats>();
            foreach (var (key, c) in counts[n - 1])
            {
                var h = key >> bits;
                ctx.TryGetValue(h, out var s);
                ctx[h] = s.Add(c);
            }
            contexts[n - 1] = ctx;
        }
    }

    public int Order { get; }
    public int VocabSize { get; }

    /// <summary>[n−1] = (D1, D2, D3+) of order n.</summary>
    public IReadOnlyList<double[]> Discounts { get; }

    /// <summary>Distinct n-grams of each order.</summary>
    public IReadOnlyList<int> Sizes => [.. counts.Select(c => c.Count)];

    /// <summary>The (adjusted) count of an n-gram: raw at the highest order, continuation count below.</summary>
    public int CountOf(ReadOnlySpan<int> ngram) => counts[ngram.Length - 1].GetValueOrDefault(Pack(ngram));

    /// <summary>Counts <paramref name="shard"/> up to <paramref name="order"/>; <paramref name="discounts"/> fixes
    /// (D1, D2, D3+) for every order instead of estimating them.</summary>
    public static KneserNey Train(TokenShard shard, int order, int vocabSize, double[]? discounts = null)
    {
        if (order < 1) throw new GptLabException($"--order must be ≥ 1, got {order}");
        int b = BitsFor(vocabSize);
        if (order * b > 128) throw new GptLabException($"order {order} is too high for a vocabulary of {vocabSize:N0} (at most {128 / b})");
        if (shard.Count < order) throw new GptLabException($"{shard.Path} has {shard.Count:N0} tokens, fewer than the order {order}");
        var counts = new Dictionary<UInt128, int>[order];
        // the highest order: raw counts, streamed in chunks over the mapped shard
        var top = new Dictionary<UInt128, int>();
        UInt128 window = 0, mask = order * b == 128 ? UInt128.MaxValue : (UInt128.One << (order * b)) - 1;
        var buf = new int[1 << 16];
        long seen = 0;
        for (long start = 0; start < shard.Count; start += buf.Length)
        {
            int len = (int)Math.Min(buf.Length, shard.Count - start);
            shard.CopyTo(start, buf.AsSpan(0, len));
            for (int i = 0; i < len; i++)
            {
                int t = buf[i];
                if ((uint)t >= (uint)vocabSize) throw new GptLabException($"{shard.Path} holds token id {t:N0}, past the vocabulary of {vocabSize:N0}");
                window = ((window << b) | (uint)t) & mask;
                if (++seen >= order) top[window] = top.GetValueOrDefault(window) + 1;
            }
        }
        counts[order - 1] = top;
        // lower orders: continuation counts — the distinct tokens seen before each n-gram — plus one for the
        // n-gram that opens the stream (its left neighbour is the start)
        var opening = new int[order];
        shard.CopyTo(0, opening);
        for (int n = order - 1; n >= 1; n--)
        {
            var lower = new Dictionary<UInt128, int>();
            UInt128 suffix = (UInt128.One << (n * b)) - 1;
            foreach (var key in counts[n].Keys)
            {
                var g = key & suffix;
                lower[g] = lower.GetValueOrDefault(g) + 1;
            }
            var first = PackWith(opening.AsSpan(0, n), b);
            lower[first] = lower.GetValueOrDefault(first) + 1;
            counts[n - 1] = lower;
        }
        var d = new double[order][];
        for (int n = 1; n <= order; n++) d[n - 1] = discounts ?? EstimateDiscounts(counts[n - 1].Values);
        return new KneserNey(order, vocabSize, counts, d);
    }

    /// <summary>Chen &amp; Goodman's discounts from the counts of counts n1…n4: Y = n1/(n1 + 2 n2),
    /// D_k = k − (k+1) Y n_{k+1}/n_k; <see cref="FallbackDiscounts"/> when one is undefined or outside (0, k).</summary>
    public static double[] EstimateDiscounts(IEnumerable<int> adjustedCounts)
    {
        var n = new long[5];
        foreach (int c in adjustedCounts) if (c is >= 1 and <= 4) n[c]++;
        return EstimateDiscounts(n[1], n[2], n[3], n[4]);
    }

    public static double[] EstimateDiscounts(long n1, long n2, long n3, long n4)
    {
        if (n1 == 0 || n2 == 0 || n3 == 0) return [.. FallbackDiscounts];
        double y = n1 / (n1 + 2.0 * n2);
        double[] d = [1 - 2 * y * n2 / n1, 2 - 3 * y * n3 / n2, 3 - 4 * y * n4 / n3];
        for (int k = 0; k < 3; k++)
            if (!(d[k] > 0 && d[k] < k + 1)) return [.. FallbackDiscounts];
        return d;
    }

    /// <summary>p(w | context), the context's last token nearest (only its last Order−1 tokens matter).</summary>
    public double Probability(ReadOnlySpan<int> context, int w)
    {
        if ((uint)w >= (uint)VocabSize) throw new ArgumentOutOfRangeException(nameof(w));
        double p = 1.0 / VocabSize;
        for (int n = 1; n <= Order && n - 1 <= context.Length; n++)
        {
            var h = Pack(context[(context.Length - (n - 1))..]);
            if (!contexts[n - 1].TryGetValue(h, out var s)) break;   // a longer context ending in it is unseen too
            int c = counts[n - 1].GetValueOrDefault((h << bits) | (uint)w);
            var d = Discounts[n - 1];
            double discount = c == 0 ? 0 : d[Math.Min(c, 3) - 1];
            double gamma = (d[0] * s.N1 + d[1] * s.N2 + d[2] * s.N3Plus) / s.Sum;
            p = Math.Max(c - discount, 0) / s.Sum + gamma * p;
        }
        return p;
    }

    private UInt128 Pack(ReadOnlySpan<int> tokens) => PackWith(tokens, bits);

    private static UInt128 PackWith(ReadOnlySpan<int> tokens, int b)
    {
        UInt128 key = 0;
        foreach (int t in tokens) key = (key << b) | (uint)t;
        return key;
    }

    private static int BitsFor(int vocabSize) => Math.Max(1, 32 - System.Numerics.BitOperations.LeadingZeroCount((uint)Math.Max(1, vocabSize - 1)));

    /// <summary>What an order needs of one context: the sum of its counts and how many continuations have count 1, 2, 3+.</summary>
    private readonly record struct ContextStats(long Sum, int N1, int N2, int N3Plus)
    {
        public ContextStats Add(int c) => new(Sum + c, N1 + (c == 1 ? 1 : 0), N2 + (c == 2 ? 1 : 0), N3Plus + (c >= 3 ? 1 : 0));
    }
}
