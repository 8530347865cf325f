using static TorchSharp.torch;

namespace GptLab.Data;

/// <summary>A small, fast, serialisable PRNG (SplitMix64) so that resuming a run continues the same batches.</summary>
internal sealed class SplitMix64(ulong state)
{
    public ulong State { get; set; } = state;

    public ulong Next()
    {
        ulong z = State += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, n).</summary>
    public long NextLong(long n) => (long)(Next() % (ulong)n);
}

/// <summary>The position of a <see cref="BatchSource"/>, saved in checkpoints.</summary>
internal sealed record BatchState(ulong Rng, long Position, long Epoch);

/// <summary>
/// Batches of (x, y) = (tokens t … t+T−1, tokens t+1 … t+T) from a memory-mapped shard. <c>random</c>: B windows at
/// random offsets (nanoGPT's get_batch). <c>sequential</c>: non-overlapping chunks in order, an epoch at a time.
/// Each batch is copied straight from the mapped file into a native tensor (one memcpy per window) and widened to
/// int64 by one tensor op — no per-token managed loop. <c>doc_aligned</c>: random windows that start at a document
/// start (offset 0 or right after an end-of-text token), so a window's first tokens have their document's context,
/// or a whole number of blocks into a document longer than the block.
/// </summary>
internal sealed class BatchSource
{
    private readonly TokenShard shard;
    private readonly int B, T;
    private readonly bool sequential;
    private readonly long[]? docStarts;   // doc_aligned: the offsets a window may start at
    private readonly SplitMix64 rng;
    private long position, epoch;

    public BatchSource(TokenShard shard, int batchSize, int blockSize, bool sequential, ulong seed, int? alignToDocumentsAfter = null)
    {
        if (shard.Count < blockSize + 1)
            throw new GptLabException($"{shard.Path} has {shard.Count:N0} tokens, fewer than block_size + 1 = {blockSize + 1} — lower block_size or add data");
        this.shard = shard;
        B = batchSize;
        T = blockSize;
        this.sequential = sequential;
        rng = new SplitMix64(seed);
        if (alignToDocumentsAfter is int eos)
        {
            docStarts = WindowStarts(shard, eos, T);
            if (docStarts.Length == 0)
                throw new GptLabException($"{shard.Path}: no document starts a window of block_size {T} (no end-of-text token, or documents too close to the end) — use batching: random");
        }
    }

    /// <summary>Offset 0 and every offset right after an end-of-text token.</summary>
    private static List<long> DocumentStarts(TokenShard shard, int eos)
    {
        var starts = new List<long> { 0 };
        var buf = new int[1 << 20];
        for (long at = 0; at < shard.Count; at += buf.Length)
        {
            int n = (int)Math.Min(buf.Length, shard.Count - at);
            shard.CopyTo(at, buf.AsSpan(0, n));
            for (int i = 0; i < n; i++)
                if (buf[i] == eos && at + i + 1 < shard.Count) starts.Add(at + i + 1);
        }
        return starts;
    }

    /// <summary>Where doc_aligned windows may start: each document's start, and in a document longer than the block
    /// every block_size tokens after it, so that the ends of long documents are trained on too (windows only at
    /// document starts never saw a story's tokens past the first block — measured worse on TinyStories).</summary>
    public static long[] WindowStarts(TokenShard shard, int eos, int blockSize)
    {
        var docs = DocumentStarts(shard, eos);
        var starts = new List<long>(docs.Count);
        for (int i = 0; i < docs.Count; i++)
        {
            long end = i + 1 < docs.Count ? docs[i + 1] : shard.Count;
            for (long p = docs[i]; p < end && p + blockSize + 1 <= shard.Count; p += blockSize) starts.Add(p);
        }
        return starts.ToArray();
    }

    /// <summary>Non-overlapping chunks of T (+1 target) tokens in the shard: one epoch.</summary>
    public long ChunksPerEpoch => (shard.Count - 1) / T;

    public long Epoch => epoch;

    public BatchState State => new(rng.State, position, epoch);

    public void Restore(BatchState s)
    {
        rng.State = s.Rng;
        position = s.Position;
        epoch = s.Epoch;
    }

    /// <summary>(x, y), each (B, T) int64.</summary>
    public (Tensor X, Tensor Y) Next()
    {
        using var scope = NewDisposeScope();
        var raw = empty([B, T + 1], shard.TokenBytes == 2 ? ScalarType.Int16 : ScalarType.Int32);
        Span<byte> dst = raw.bytes;
        int rowBytes = (T + 1) * shard.TokenBytes;
        for (int b = 0; b < B; b++)
        {
            long start;
            if (sequential)
            {
                if (position >= ChunksPerEpoch) { position = 0; epoch++; }
                start = position++ * T;
            }
            else if (docStarts is not null) start = docStarts[rng.NextLong(docStarts.Length)];
            else start = rng.NextLong(shard.Count - T);
            shard.RawSpan(start, T + 1).CopyTo(dst.Slice(b * rowBytes, rowBytes));
        }
        var full = raw.to(ScalarType.Int64);
        if (shard.TokenBytes == 2) full = full.bitwise_and_(0xFFFF);     // uint16 stored in int16
        var x = full.narrow(1, 0, T).contiguous();
        var y = full.narrow(1, 1, T).contiguous();
        return (x.MoveToOuterDisposeScope(), y.MoveToOuterDisposeScope());
    }
}
