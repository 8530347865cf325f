using static TorchSharp.torch;

namespace GptLab.Distributed;

/// <summary>
/// One step's averaging of gradients over ranks, fed while backward runs (PyTorch DDP's overlap): gradients handed
/// to <see cref="Add"/> are final for the step and start their reduction at once, in buckets; <see cref="Finish"/>
/// sends what is left, waits for every bucket and writes the means into the gradients.
/// </summary>
public interface IGradientAverage
{
    void Add(IReadOnlyList<Tensor> grads);
    void Finish();

    /// <summary>Time spent reducing this step's gradients, in milliseconds, hidden behind backward or not (0 when
    /// there is nothing to reduce).</summary>
    double ReduceMs { get; }
}
