using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace GptLab.Losses;

/// <summary>Knobs of the losses.</summary>
public sealed record LossOptions
{
    public LossKind Kind { get; init; } = LossKind.CrossEntropy;
    public double SquentropyWeight { get; init; } = 1;   // multiplies squentropy's square term
    public double MseK { get; init; } = 1;               // mse: weight of the true-class term
    public double MseM { get; init; } = 1;               // mse: target value of the true class
    public double MseTargetWeight { get; init; } = 65;   // ce_mse: weight of the true-class square term
    public long IgnoreIndex { get; init; } = -1;         // targets equal to this are masked out

    public static LossKind Parse(string name) => IO.JsonEnum.Parse<LossKind>(name, "loss");

    public static string Name(LossKind kind) => IO.JsonEnum.Name(kind);
}

/// <summary>
/// Losses over (N, V) logits f and (N) targets y, averaged over the unmasked tokens. Each is written in a fused
/// form from Σ_j f_j² and f_y, so no (N × V) one-hot is ever built.
/// </summary>
public static class LossFunctions
{
    public static Tensor Compute(Tensor logits, Tensor targets, LossOptions o)
    {
        using var scope = NewDisposeScope();
        var f = logits.reshape(-1, logits.shape[^1]).to(ScalarType.Float32);        // (N, V)
        var y = targets.reshape(-1);                                                // (N)
        long V = f.shape[1];
        var mask = y.ne(o.IgnoreIndex);                                             // (N)
        var ySafe = where(mask, y, zeros_like(y));
        Tensor perToken = o.Kind switch
        {
            LossKind.CrossEntropy => CrossEntropy(f, ySafe),
            LossKind.Squentropy => CrossEntropy(f, ySafe) + o.SquentropyWeight * IncorrectSquares(f, ySafe) / (V - 1),
            LossKind.Mse => (IncorrectSquares(f, ySafe) + o.MseK * TrueLogit(f, ySafe).sub(o.MseM).square()) / V,
            LossKind.CeMse => CrossEntropy(f, ySafe)
                              + (IncorrectSquares(f, ySafe) + o.MseTargetWeight * TrueLogit(f, ySafe).neg().add(1).square()) / V,
            _ => throw new ArgumentOutOfRangeException(nameof(o)),
        };
        var m = mask.to(ScalarType.Float32);
        var loss = (perToken * m).sum() / m.sum().clamp_min(1);
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The logits of the tokenizer's <paramref name="vocab"/> real tokens, without the padding up to a multiple of
    /// 64 (a view). Every NLL GptLab reports, and every loss but plain cross-entropy, sees only real classes.
    /// </summary>
    public static Tensor RealVocab(Tensor logits, int vocab) =>
        logits.shape[^1] > vocab ? logits.narrow(-1, 0, vocab) : logits;

    /// <summary>Token NLL (cross-entropy) per position — what evaluation always uses.</summary>
    public static Tensor TokenNll(Tensor logits, Tensor targets) =>
        CrossEntropy(logits.reshape(-1, logits.shape[^1]).to(ScalarType.Float32), targets.reshape(-1));

    /// <summary>−log softmax(f)_y per row, libtorch's fused log_softmax + nll_loss. (logsumexp(f) − f_y was tried:
    /// its backward holds more, 797 vs 598 MiB extra at 1,024 × 50,304 — `gptlab bench loss`.)</summary>
    private static Tensor CrossEntropy(Tensor f, Tensor y) => F.cross_entropy(f, y, reduction: nn.Reduction.None);

    private static Tensor TrueLogit(Tensor f, Tensor y) => f.gather(1, y.unsqueeze(1)).squeeze(1);      // (N)

    /// <summary>Σ_{j≠y} f_j² = ‖f‖² − f_y². The squared row norm keeps no (N × V) intermediate for backward
    /// (f.square().sum(1) would hold one, as large as the logits).</summary>
    private static Tensor IncorrectSquares(Tensor f, Tensor y) =>
        linalg.vector_norm(f, 2, [1], false).square() - TrueLogit(f, y).square();
}
