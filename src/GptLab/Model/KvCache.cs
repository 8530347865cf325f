using static TorchSharp.torch;

namespace GptLab.Model;

/// <summary>
/// Keys and values of every layer for incremental decoding. <see cref="Position"/> is the absolute position of the
/// next token; <see cref="Length"/> how many positions are cached. A rolling cache (RoPE models only) keeps at most
/// <see cref="Capacity"/> positions, evicting the oldest, while positions keep growing.
/// </summary>
public sealed class KvCache : IDisposable
{
    private readonly LayerCache[] layers;

    public KvCache(int nLayer, int capacity = int.MaxValue, bool rolling = false)
    {
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity));
        Capacity = capacity;
        Rolling = rolling;
        layers = Enumerable.Range(0, nLayer).Select(_ => new LayerCache(this)).ToArray();
    }

    public int Position { get; private set; }
    public int Length { get; private set; }
    public int Capacity { get; }
    public bool Rolling { get; }

    internal LayerCache Layer(int i) => layers[i];

    internal void Advance(int tokens)
    {
        Position += tokens;
        Length = Rolling ? Math.Min(Capacity, Length + tokens) : Length + tokens;
    }

    /// <summary>Empties the cache; the next forward starts again at position 0.</summary>
    public void Reset()
    {
        foreach (var l in layers) l.Dispose();
        Position = 0;
        Length = 0;
    }

    public void Dispose() => Reset();
}

/// <summary>One layer's cached keys and values, (B, nh, L, hs) each.</summary>
internal sealed class LayerCache(KvCache owner) : IDisposable
{
    private Tensor? k, v;

    /// <summary>Positions cached before this forward.</summary>
    public int Length => owner.Length;

    /// <summary>Appends the new positions and returns all cached keys and values (the oldest evicted past the
    /// capacity of a rolling cache, so a query never sees more than block_size positions).</summary>
    public (Tensor K, Tensor V) Append(Tensor newK, Tensor newV)
    {
        Tensor nk = k is null ? newK : cat([k, newK], 2);
        Tensor nv = v is null ? newV : cat([v, newV], 2);
        long L = nk.shape[2];
        if (owner.Rolling && L > owner.Capacity)
        {
            nk = nk.narrow(2, L - owner.Capacity, owner.Capacity);
            nv = nv.narrow(2, L - owner.Capacity, owner.Capacity);
        }
        k?.Dispose();
        v?.Dispose();
        k = nk.detach().contiguous().DetachFromDisposeScope();
        v = nv.detach().contiguous().DetachFromDisposeScope();
        return (nk, nv);
    }

    public void Dispose()
    {
        k?.Dispose();
        v?.Dispose();
        k = v = null;
    }
}
