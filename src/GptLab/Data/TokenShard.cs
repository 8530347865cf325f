using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;

namespace GptLab.Data;

/// <summary>
/// A file of tokens in llm.c's layout: a header of 256 int32 <c>{20240520, version, ntok, 0…}</c> (version 1 =
/// uint16 tokens, version 2 = uint32 tokens), then the tokens. nanoGPT's headerless uint16 files are read too.
/// Reading is memory-mapped: a corpus is never loaded into managed memory.
/// </summary>
public sealed unsafe class TokenShard : IDisposable
{
    public const int Magic = 20240520;
    public const int HeaderInts = 256;
    public const int HeaderBytes = HeaderInts * 4;

    private readonly MemoryMappedFile? map;
    private readonly MemoryMappedViewAccessor? view;
    private readonly byte* basePtr;

    private TokenShard(string path, long count, int tokenBytes, long offset, MemoryMappedFile? map, MemoryMappedViewAccessor? view)
    {
        Path = path;
        Count = count;
        TokenBytes = tokenBytes;
        this.map = map;
        this.view = view;
        if (view != null)
        {
            byte* p = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            basePtr = p + view.PointerOffset + offset;
        }
    }

    public string Path { get; }
    public long Count { get; }

    /// <summary>2 (uint16) or 4 (uint32).</summary>
    public int TokenBytes { get; }

    public static int VersionFor(int vocabSize) => vocabSize <= 65536 ? 1 : 2;

    /// <summary>Opens a shard. <paramref name="headerless"/>: nanoGPT's raw uint16 file.</summary>
    public static TokenShard Open(string path, bool headerless = false)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
            throw new GptLabException($"{path} not found — run `gptlab prepare` to create the dataset");
        long length = info.Length;
        long count;
        int tokenBytes;
        long offset;
        if (headerless)
        {
            if (length % 2 != 0)
                throw new GptLabException($"{path}: a raw uint16 token file must have an even size, found {length:N0} bytes — the file is truncated");
            (count, tokenBytes, offset) = (length / 2, 2, 0);
        }
        else
        {
            if (length < HeaderBytes)
                throw new GptLabException($"{path}: expected a 1,024-byte header, found {length:N0} bytes: the file is truncated — re-run `gptlab prepare`");
            var header = new int[3];
            using (var fs = File.OpenRead(path))
            {
                Span<byte> h = stackalloc byte[12];
                fs.ReadExactly(h);
                MemoryMarshal.Cast<byte, int>(h).CopyTo(header);
            }
            if (header[0] != Magic)
                throw new GptLabException(
                    $"{path} is not a token shard (magic {header[0]}, expected {Magic}) — if it is nanoGPT's headerless uint16 file, set \"header\": false in meta.json; otherwise re-run `gptlab prepare`");
            tokenBytes = header[1] switch
            {
                1 => 2,
                2 => 4,
                _ => throw new GptLabException($"{path}: unsupported shard version {header[1]} (expected 1 or 2) — re-run `gptlab prepare`"),
            };
            count = (uint)header[2];
            offset = HeaderBytes;
            long expected = HeaderBytes + count * tokenBytes;
            if (length != expected)
                throw new GptLabException(
                    $"{path}: expected 1,024 + {tokenBytes}·{count:N0} = {expected:N0} bytes, found {length:N0}: the file is {(length < expected ? "truncated" : "longer than its header says")} — re-run `gptlab prepare`");
        }
        if (count == 0) return new TokenShard(path, 0, tokenBytes, offset, null, null);
        var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        var view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        return new TokenShard(path, count, tokenBytes, offset, map, view);
    }

    /// <summary>Token <paramref name="i"/>.</summary>
    public int this[long i]
    {
        get
        {
            if ((ulong)i >= (ulong)Count) throw new ArgumentOutOfRangeException(nameof(i));
            return TokenBytes == 2 ? ((ushort*)basePtr)[i] : (int)((uint*)basePtr)[i];
        }
    }

    /// <summary>The raw bytes of tokens [start, start+count).</summary>
    public ReadOnlySpan<byte> RawSpan(long start, int count)
    {
        if (start < 0 || count < 0 || start + count > Count) throw new ArgumentOutOfRangeException(nameof(start));
        return new ReadOnlySpan<byte>(basePtr + start * TokenBytes, count * TokenBytes);
    }

    /// <summary>Copies tokens [start, start+count) as int32.</summary>
    public void CopyTo(long start, Span<int> destination)
    {
        int n = destination.Length;
        if (start < 0 || start + n > Count) throw new ArgumentOutOfRangeException(nameof(start));
        if (TokenBytes == 4) new ReadOnlySpan<int>(basePtr + start * 4, n).CopyTo(destination);
        else
        {
            var src = new ReadOnlySpan<ushort>(basePtr + start * 2, n);
            for (int i = 0; i < n; i++) destination[i] = src[i];
        }
    }

    /// <summary>The largest token id in the shard (-1 when empty): one vectorized pass over the mapped file.</summary>
    public long MaxToken()
    {
        long max = -1;
        for (long start = 0; start < Count; start += int.MaxValue / 4)
        {
            int n = (int)Math.Min(int.MaxValue / 4, Count - start);
            max = Math.Max(max, TokenBytes == 2 ? MaxOf(new ReadOnlySpan<ushort>(basePtr + start * 2, n)) : MaxOf(new ReadOnlySpan<uint>(basePtr + start * 4, n)));
        }
        return max;
    }

    private static long MaxOf<T>(ReadOnlySpan<T> span) where T : unmanaged, System.Numerics.INumber<T>, System.Numerics.IMinMaxValue<T>
    {
        var acc = System.Numerics.Vector<T>.Zero;
        int i = 0, w = System.Numerics.Vector<T>.Count;
        for (; i + w <= span.Length; i += w) acc = System.Numerics.Vector.Max(acc, new System.Numerics.Vector<T>(span.Slice(i, w)));
        T max = T.Zero;
        for (int j = 0; j < w; j++) max = T.Max(max, acc[j]);
        for (; i < span.Length; i++) max = T.Max(max, span[i]);
        return long.CreateTruncating(max);
    }

    public int[] ReadAll()
    {
        var all = new int[checked((int)Count)];
        CopyTo(0, all);
        return all;
    }

    public void Dispose()
    {
        if (view != null)
        {
            view.SafeMemoryMappedViewHandle.ReleasePointer();
            view.Dispose();
        }
        map?.Dispose();
    }
}

/// <summary>Streams tokens into a shard file; the header's count is written when the shard is completed.</summary>
public sealed class TokenShardWriter : IDisposable
{
    private readonly FileStream stream;
    private readonly int version;
    private readonly byte[] buffer = new byte[1 << 16];
    private int used;

    public TokenShardWriter(string path, int vocabSize)
    {
        version = TokenShard.VersionFor(vocabSize);
        stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
        stream.Write(new byte[TokenShard.HeaderBytes]);
    }

    public long Count { get; private set; }

    public void Write(ReadOnlySpan<int> tokens)
    {
        int size = version == 1 ? 2 : 4;
        foreach (int t in tokens)
        {
            if (used + size > buffer.Length) Flush();
            if (version == 1) MemoryMarshal.Write(buffer.AsSpan(used), (ushort)t);
            else MemoryMarshal.Write(buffer.AsSpan(used), (uint)t);
            used += size;
        }
        Count += tokens.Length;
    }

    public void Write(int token) => Write([token]);

    private void Flush()
    {
        stream.Write(buffer, 0, used);
        used = 0;
    }

    /// <summary>Writes the header and flushes to disk.</summary>
    public void Complete()
    {
        Flush();
        if (Count > uint.MaxValue) throw new GptLabException("a shard holds at most 4,294,967,295 tokens; split the corpus");
        var header = new int[TokenShard.HeaderInts];
        header[0] = TokenShard.Magic;
        header[1] = version;
        header[2] = (int)(uint)Count;
        stream.Position = 0;
        stream.Write(MemoryMarshal.AsBytes(header.AsSpan()));
        stream.Flush(flushToDisk: true);
    }

    public void Dispose() => stream.Dispose();
}
