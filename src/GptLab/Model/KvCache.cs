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

    public KvCache(int nLayer, int capacity, bool rolling = false)
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

/// <summary>
/// One layer's cached keys and values in buffers of the cache's capacity, (B, nh, capacity, hs), allocated at the
/// first append and written in place: a new token costs no copy of the old ones. A rolling cache writes round the
/// buffer (slot = position mod capacity): a single query attends to every cached key without a mask, and with rotary
/// positions baked into the keys their order does not matter.
/// </summary>
internal sealed class LayerCache(KvCache owner) : IDisposable
{
    private Tensor? k, v;

    /// <summary>Positions cached before this forward.</summary>
    public int Length => owner.Length;

    /// <summary>Appends the new positions and returns all cached keys and values (at most capacity of them).</summary>
    public (Tensor K, Tensor V) Append(Tensor newK, Tensor newV)
    {
        long B = newK.shape[0], nh = newK.shape[1], T = newK.shape[2], hs = newK.shape[3];
        int cap = owner.Capacity;
        if (k is null || v is null)
        {
            if (T > cap) throw new InvalidOperationException($"{T} positions do not fit a cache of {cap}");
            k = zeros([B, nh, cap, hs], newK.dtype, newK.device).DetachFromDisposeScope();
            v = zeros([B, nh, cap, hs], newV.dtype, newV.device).DetachFromDisposeScope();
        }
        int len = owner.Length;
        if (!owner.Rolling || len + T <= cap)
        {
            if (len + T > cap) throw new InvalidOperationException($"the cache holds {cap} positions; {len + T} asked");
            k.narrow(2, len, T).copy_(newK);
            v.narrow(2, len, T).copy_(newV);
            return (k.narrow(2, 0, len + T), v.narrow(2, 0, len + T));
        }
        if (T != 1) throw new InvalidOperationException("a rolling cache takes one token at a time once full");
        long slot = owner.Position % cap;                                            // overwrite the oldest
        k.narrow(2, slot, 1).copy_(newK);
        v.narrow(2, slot, 1).copy_(newV);
        return (k, v);
    }

    public void Dispose()
    {
        k?.Dispose();
        v?.Dispose();
        k = v = null;
    }
}
