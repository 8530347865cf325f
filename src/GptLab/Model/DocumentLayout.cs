using static TorchSharp.torch;

namespace GptLab.Model;

/// <summary>
/// Where the documents of each window lie (attention: document): a token attends only to earlier tokens of its
/// own document, and its position counts from that document's first token. The end-of-text token belongs to the
/// document it ends (it is predicted from it); the next token starts a new one.
/// </summary>
internal sealed record DocumentLayout(Tensor Positions, Tensor Allowed)
{
    private Tensor? blocked;

    /// <summary>The keys a query may not see (the dropout path's masked_fill): not <see cref="Allowed"/>, made once per
    /// forward (on first use, in the forward's dispose scope) rather than once per layer.</summary>
    public Tensor Blocked => blocked ??= Allowed.logical_not();

    /// <summary>(B, T) ids → positions (B, T) and the keys each query may see, (B, 1, T, T) (true = attend).</summary>
    public static DocumentLayout Of(Tensor idx, int eos, ModelContext ctx)
    {
        long B = idx.shape[0], T = idx.shape[1];
        var isEot = idx.eq(eos).to(ScalarType.Int64);                               // (B, T)
        var doc = isEot.cumsum(1) - isEot;                                          // document number of each token
        var allowed = doc.unsqueeze(2).eq(doc.unsqueeze(1))                         // same document …
            .logical_and(ctx.CausalMask(T, idx.device).logical_not())               // … and not in the future
            .unsqueeze(1);                                                          // (B, 1, T, T)
        var t = arange(T, dtype: ScalarType.Int64, device: idx.device).expand(B, T);
        var starts = cat([ones(B, 1, dtype: ScalarType.Bool, device: idx.device), isEot.narrow(1, 0, T - 1).to(ScalarType.Bool)], 1);
        var first = where(starts, t, zeros_like(t)).cummax(1).values;               // index of each token's document start
        return new DocumentLayout(t - first, allowed);
    }
}
