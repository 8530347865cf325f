using static TorchSharp.torch;

namespace GptLab.Model;

/// <summary>
/// An identity on the residual stream whose backward reports that a stage of the model's gradients is complete:
/// PyTorch's DDP learns this from hooks on the parameters' gradient accumulators, which TorchSharp does not expose,
/// so the model marks the stream with this custom autograd function instead. When backward reaches the mark at a
/// block's input, every gradient of that block (and of the blocks above) has been accumulated: libtorch runs a
/// parameter's accumulation as soon as its gradient exists, ahead of every other ready node.
/// </summary>
internal sealed class GradientsReady : autograd.SingleTensorFunction<GradientsReady>
{
    public override string Name => nameof(GradientsReady);

    /// <summary>x, marked: backward calls <paramref name="ready"/>(<paramref name="stage"/>) on its way through.</summary>
    public static Tensor Mark(Tensor x, Action<int> ready, int stage) => apply(x, ready, stage);

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        ctx.save_data("ready", vars[1]);
        ctx.save_data("stage", vars[2]);
        return (Tensor)vars[0];
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
    {
        ((Action<int>)ctx.get_data("ready"))((int)ctx.get_data("stage"));
        return [grad_output, null!, null!];
    }
}
