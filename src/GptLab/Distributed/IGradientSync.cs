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

    /// <summary>Starts one step's averaging of gradients over ranks (each gradient replaced by its mean); the
    /// training step adds them as backward completes them.</summary>
    IGradientAverage StartAverage();

    /// <summary>Sums each value over ranks.</summary>
    double[] Sum(double[] values);

    /// <summary>True on every rank when it is true on any (a stop request seen by one rank stops all at the same step).</summary>
    bool Any(bool value);
}
