using static TorchSharp.torch;

namespace GptLab.Distributed;

/// <summary>
/// What a training step needs from the other processes of a data-parallel run: the same starting weights, gradients
/// averaged over ranks, evaluation sums, and one agreed decision to stop. One process: every call is a no-op.
/// </summary>
public interface IGradientSync
{
    int Rank { get; }
    int Size { get; }

    /// <summary>Rank 0's values for every tensor, on every rank (weights at start).</summary>
    void Broadcast(IReadOnlyList<Tensor> tensors);

    /// <summary>Replaces each gradient with its mean over ranks (summed over flat buckets, divided by Size).</summary>
    void AverageGradients(IReadOnlyList<Tensor> grads);

    /// <summary>Sums each value over ranks.</summary>
    double[] Sum(double[] values);

    /// <summary>True on every rank when it is true on any (a stop request seen by one rank stops all at the same step).</summary>
    bool Any(bool value);
}
