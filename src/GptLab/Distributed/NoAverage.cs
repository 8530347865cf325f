using static TorchSharp.torch;

namespace GptLab.Distributed;

/// <summary>One process: its gradients are already the mean.</summary>
internal sealed class NoAverage : IGradientAverage
{
    public static NoAverage Instance { get; } = new();
    public void Add(IReadOnlyList<Tensor> grads) { }
    public void Finish() { }
    public double ReduceMs => 0;
}
