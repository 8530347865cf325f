using static TorchSharp.torch;

namespace GptLab.Distributed;

/// <summary>One process: nothing to synchronize.</summary>
public sealed class SingleProcess : IGradientSync
{
    public static SingleProcess Instance { get; } = new();
    public int Rank => 0;
    public int Size => 1;
    public void Broadcast(IReadOnlyList<Tensor> tensors) { }
    public IGradientAverage StartAverage() => NoAverage.Instance;
    public double[] Sum(double[] values) => values;
    public bool Any(bool value) => value;
}
