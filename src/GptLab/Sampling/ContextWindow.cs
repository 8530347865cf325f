using GptLab.Model;
using static TorchSharp.torch;

namespace GptLab.Sampling;

/// <summary>
/// The one owner of "what context does the next token see": feeds a batch of token streams to the model a step at a
/// time and returns the logits for the next token of each row, keeping the context its <see cref="WindowMode"/>
/// defines (and the KV cache that makes it cheap). Generation feeds it sampled tokens; the windowed evaluation feeds
/// it the real ones. Memory is bounded by block_size, whatever the length of the text.
/// </summary>
internal sealed class ContextWindow : IDisposable
{
    private readonly Gpt model;
    private readonly WindowMode mode;
    private readonly int keep;
    private readonly int blockSize;
    private readonly int threads;
    private readonly bool singleRow;
    private KvCache? cache;
    private Tensor window;   // (rows, ≤ block_size): the most recent tokens
    private int context;     // how many of them the next forward sees
    private bool jumped;     // jump: the context was cut to keep; re-encode it

    public ContextWindow(Gpt model, Tensor prompt, WindowMode mode, bool useCache, int? keep = null)
    {
        this.model = model;
        this.mode = mode;
        blockSize = model.Config.BlockSize;
        this.keep = keep ?? Math.Max(1, blockSize / 2);
        if (this.keep < 1 || this.keep >= blockSize) throw new GptLabException($"--keep must be in [1, {blockSize - 1}] (block_size − 1), got {this.keep}");
        if (mode == WindowMode.Rolling && model.Config.PosEmbedding != PosEmbedding.Rope)
            throw new GptLabException("--window rolling needs a model with rotary positions (pos_embedding: rope); this one learned absolute positions — use --window jump or slide");
        if (mode == WindowMode.Rolling && !useCache) throw new GptLabException("--window rolling works through the KV cache; drop --no-cache");
        threads = get_num_threads();
        singleRow = prompt.shape[0] == 1;
        cache = useCache ? new KvCache(model.Config.NLayer, blockSize, mode == WindowMode.Rolling) : null;
        window = Crop(prompt).DetachFromDisposeScope();
        context = (int)window.shape[1];
    }

    /// <summary>Logits (rows, V) for the token after the current context.</summary>
    public Tensor Logits()
    {
        using var scope = NewDisposeScope();
        var tail = window.narrow(1, window.shape[1] - context, context);          // what the model sees now
        Tensor logits;
        if (cache is null) logits = Full(tail);                                     // no cache: the whole context each step
        else if (jumped)
        {
            cache.Reset();                                                           // jump: re-encode the kept tail once
            jumped = false;
            logits = Cached(tail);
        }
        else if (cache.Length == 0) logits = Cached(tail);                          // the prompt
        else if (cache.Length + 1 == context || mode == WindowMode.Rolling) logits = Cached(tail.narrow(1, context - 1, 1));
        else
        {
            cache.Dispose();                                                         // slide past block_size: exact, uncached
            cache = null;
            logits = Full(tail);
        }
        return logits.select(1, logits.shape[1] - 1).MoveToOuterDisposeScope();     // (rows, V)
    }

    /// <summary>Appends one token per row (rows).</summary>
    public void Push(Tensor next)
    {
        using var scope = NewDisposeScope();
        var grown = Crop(cat([window, next.view(-1, 1)], 1)).DetachFromDisposeScope();
        window.Dispose();
        window = grown;
        if (++context <= blockSize) return;
        if (mode == WindowMode.Jump)
        {
            context = keep;
            jumped = true;
        }
        else context = blockSize;
    }

    private Tensor Crop(Tensor idx) => idx.shape[1] > blockSize ? idx.narrow(1, idx.shape[1] - blockSize, blockSize).contiguous() : idx;

    // Cached decoding of one row is a chain of tiny ops: thread hand-offs cost more than they save
    // (shakespeare-char, 255 tokens: 346 tok/s on 1 thread vs 253 on 2). Uncached full windows keep all threads.
    private Tensor Cached(Tensor input)
    {
        Threads(singleRow ? 1 : threads);
        return model.Forward(input, cache);
    }

    private Tensor Full(Tensor input)
    {
        Threads(threads);
        return model.Forward(input, null);
    }

    private static void Threads(int n)
    {
        if (get_num_threads() != n) set_num_threads(n);
    }

    public void Dispose()
    {
        cache?.Dispose();
        window.Dispose();
        Threads(threads);
    }
}
