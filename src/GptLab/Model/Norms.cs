using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace GptLab.Model;

/// <summary>The normalization layers: GPT-2's LayerNorm, or RMSNorm (a gain, no bias; parameter name <c>weight</c>,
/// so checkpoints keep GPT-2's names).</summary>
internal static class Norms
{
    public static nn.Module<Tensor, Tensor> Create(GptConfig c) => c.Norm == NormKind.RmsNorm
        ? new RmsNorm(c.NEmbd)
        : nn.LayerNorm(c.NEmbd, 1e-5, true, c.Bias);

    /// <summary>x / sqrt(mean(x²) + eps) over the last dimension, computed in fp32.</summary>
    public static Tensor Rms(Tensor x, double eps = 1e-6)
    {
        var x32 = x.to(ScalarType.Float32);
        return (x32 * (x32.square().mean([-1], keepdim: true) + eps).rsqrt()).to(x.dtype);
    }
}

/// <summary>RMSNorm: x / rms(x) · weight.</summary>
internal sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    private readonly TorchSharp.Modules.Parameter weight;

    public RmsNorm(int width) : base(nameof(RmsNorm))
    {
        weight = new TorchSharp.Modules.Parameter(ones(width));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => Norms.Rms(x, 1e-5) * weight;   // (B, T, C)
}
