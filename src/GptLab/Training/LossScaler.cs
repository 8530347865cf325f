using static TorchSharp.torch;

namespace GptLab.Training;

/// <summary>
/// Dynamic loss scaling for float16, as PyTorch's GradScaler does it (written by hand: TorchSharp has none): the loss
/// is multiplied by <see cref="Scale"/> before backward so small gradients survive fp16; the gradients are divided
/// by it before clipping; a step whose gradients hold inf or NaN is skipped and the scale halved; after
/// <see cref="GrowthInterval"/> good steps in a row the scale doubles. Its state is saved in checkpoints.
/// </summary>
internal sealed class LossScaler
{
    public double Scale { get; set; } = 65536;           // GradScaler's init_scale (2^16)
    public int GrowthTracker { get; set; }               // good steps since the last change
    public int GrowthInterval { get; init; } = 2000;
    public double GrowthFactor { get; init; } = 2.0;
    public double BackoffFactor { get; init; } = 0.5;
    public int SkippedSteps { get; private set; }

    public Tensor ScaleLoss(Tensor loss) => loss * Scale;

    /// <summary>Divides every gradient by the scale; true when all of them are finite.</summary>
    public bool Unscale(IReadOnlyList<Tensor> grads)
    {
        using var scope = NewDisposeScope();
        Tensor? bad = null;
        foreach (var g in grads)
        {
            g.div_(Scale);
            var nonFinite = g.isfinite().logical_not().any();
            bad = bad is null ? nonFinite : bad.logical_or(nonFinite);
        }
        return bad is null || !bad.item<bool>();
    }

    /// <summary>After a step: back off on an overflow, grow after a run of good steps.</summary>
    public void Update(bool overflow)
    {
        if (overflow)
        {
            Scale *= BackoffFactor;
            GrowthTracker = 0;
            SkippedSteps++;
        }
        else if (++GrowthTracker >= GrowthInterval)
        {
            Scale *= GrowthFactor;
            GrowthTracker = 0;
        }
    }
}
