using GptLab.Model;
using static TorchSharp.torch;

namespace GptLab.Sampling;

/// <summary>How to pick each next token.</summary>
public sealed record SamplingOptions
{
    public int MaxNewTokens { get; init; } = 500;
    public double Temperature { get; init; } = 0.8;   // 0 = greedy (argmax)
    public int TopK { get; init; } = 200;             // 0 = off
    public double TopP { get; init; } = 1.0;          // nucleus; 1 = off
    public long Seed { get; init; } = 1337;
    public bool UseCache { get; init; } = true;       // KV cache: each new token costs one position's work
    public WindowMode Window { get; init; } = WindowMode.Slide;   // past block_size (the CLI defaults to jump)
    public int? Keep { get; init; }                   // jump: tokens kept at each jump (default block_size / 2)
    public int? StopToken { get; init; }              // stop a sample when it emits this token (EOS)
    public int VocabLimit { get; init; }              // tokens ≥ this (vocab padding) are never sampled; 0 = none
}

/// <summary>
/// Autoregressive generation. With the KV cache the prompt is run once and each new token is one position of work;
/// once the text outgrows block_size, <see cref="ContextWindow"/> keeps the context the window mode defines (slide:
/// nanoGPT's exact crop, the same tokens with or without the cache; jump; rolling).
/// </summary>
public static class Sampler
{
    /// <summary>Generates <c>rows</c> continuations of <paramref name="prompt"/> at once (a batch).
    /// <paramref name="onTokens"/> gets each step's new token per row.</summary>
    public static int[][] Generate(Gpt model, int[] prompt, int rows, SamplingOptions o, Action<int[]>? onTokens = null)
    {
        if (prompt.Length == 0) throw new GptLabException("the prompt is empty and the tokenizer has no start token");
        bool wasTraining = model.training;
        model.eval();
        using var _ = no_grad();
        using var gen = new Generator((ulong)o.Seed);
        var outputs = Enumerable.Range(0, rows).Select(_ => new List<int>()).ToArray();
        var done = new bool[rows];
        try
        {
            using var start = tensor(prompt.Select(t => (long)t).ToArray(), [1, prompt.Length], device: model.Device).repeat(rows, 1);
            using var context = new ContextWindow(model, start, o.Window, o.UseCache, o.Keep);
            for (int step = 0; step < o.MaxNewTokens && !done.All(d => d); step++)
            {
                using var scope = NewDisposeScope();
                var next = Pick(context.Logits(), o, gen);                            // (rows)
                long[] ids = next.data<long>().ToArray();
                var chosen = new int[rows];
                for (int r = 0; r < rows; r++)
                {
                    chosen[r] = done[r] ? -1 : (int)ids[r];
                    if (done[r]) continue;
                    outputs[r].Add((int)ids[r]);
                    if (o.StopToken == ids[r]) done[r] = true;
                }
                onTokens?.Invoke(chosen);
                context.Push(next);
            }
        }
        finally
        {
            if (wasTraining) model.train();
        }
        return outputs.Select(x => x.ToArray()).ToArray();
    }

    /// <summary>The prompt's ids; an empty prompt starts from the end-of-text token, or a newline (nanoGPT).</summary>
    public static int[] PromptIds(ITokenizer tokenizer, string text)
    {
        if (text.Length > 0) return tokenizer.Encode(text);
        if (tokenizer.EosId is int eos) return [eos];
        var nl = tokenizer.Encode("\n");
        if (nl.Length == 0) throw new GptLabException("the prompt is empty and the tokenizer has neither an end-of-text token nor a newline; give --prompt");
        return nl;
    }

    /// <summary>Picks one token per row of (rows, V) logits: greedy, or temperature + top-k + top-p sampling.</summary>
    public static Tensor Pick(Tensor logits, SamplingOptions o, Generator? gen)
    {
        using var scope = NewDisposeScope();
        var l = logits.to(ScalarType.Float32);
        if (o.VocabLimit > 0 && o.VocabLimit < l.shape[1])
            l = l.index_fill(1, arange(o.VocabLimit, l.shape[1], dtype: ScalarType.Int64, device: l.device), double.NegativeInfinity);
        if (o.Temperature <= 0) return l.argmax(1).MoveToOuterDisposeScope();
        l = l / o.Temperature;
        l = Filter(l, o.TopK, o.TopP);
        var probs = nn.functional.softmax(l, 1);
        return probs.multinomial(1, false, gen).squeeze(1).MoveToOuterDisposeScope();
    }

    /// <summary>Sets every logit outside the top-k and outside the top-p nucleus to −∞ (at least one survives).</summary>
    public static Tensor Filter(Tensor logits, int topK, double topP)
    {
        var l = logits;
        long V = l.shape[1];
        if (topK > 0 && topK < V)
        {
            var kth = l.topk(topK, 1).values.narrow(1, topK - 1, 1);                // (rows, 1)
            l = l.masked_fill(l.lt(kth), double.NegativeInfinity);
        }
        if (topP < 1.0)
        {
            var (sorted, order) = l.sort(1, descending: true);
            var cum = nn.functional.softmax(sorted, 1).cumsum(1);
            var probsSorted = nn.functional.softmax(sorted, 1);
            var removeSorted = (cum - probsSorted).gt(topP);                         // keep the smallest prefix with mass ≥ p
            var remove = zeros_like(removeSorted).scatter(1, order, removeSorted);
            l = l.masked_fill(remove, double.NegativeInfinity);
        }
        return l;
    }
}
