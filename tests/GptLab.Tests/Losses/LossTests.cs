using GptLab.Losses;
using static TorchSharp.torch;

namespace GptLab.Tests.Losses;

public class LossTests
{
    private static double Loss(LossOptions o, float[] logits, long target)
    {
        using var f = tensor(logits, [1, logits.Length]);
        using var y = tensor(new[] { target });
        return LossFunctions.Compute(f, y, o).item<float>();
    }

    private static readonly float[] F3 = [1, 2, 3];
    private static readonly double Ce0 = Math.Log(Math.Exp(1) + Math.Exp(2) + Math.Exp(3)) - 1;   // 2.40760596

    [Fact]
    public void Cross_entropy_on_a_3_class_example() => Assert.Equal(Ce0, Loss(new LossOptions(), F3, 0), 5);

    [Fact]
    public void Squentropy_adds_the_mean_squared_incorrect_logit() =>
        Assert.Equal(Ce0 + (4 + 9) / 2.0, Loss(new LossOptions { Kind = LossKind.Squentropy }, F3, 0), 5);

    [Fact]
    public void Squentropy_weight_scales_the_square_term() =>
        Assert.Equal(Ce0 + 0.5 * (4 + 9) / 2.0, Loss(new LossOptions { Kind = LossKind.Squentropy, SquentropyWeight = 0.5 }, F3, 0), 5);

    [Fact]
    public void Mse_is_the_square_loss_against_one_hot() =>
        Assert.Equal(13 / 3.0, Loss(new LossOptions { Kind = LossKind.Mse }, F3, 0), 5);

    [Fact]
    public void Rescaled_mse_weights_and_shifts_the_true_class() =>
        Assert.Equal((2 * 1 + 13) / 3.0, Loss(new LossOptions { Kind = LossKind.Mse, MseK = 2, MseM = 2 }, F3, 0), 5);

    [Fact]
    public void Ce_mse_weights_the_true_class_square_term() =>
        Assert.Equal(Ce0 - 2 + (Math.Log(Math.Exp(1) + Math.Exp(2) + Math.Exp(3)) - 3 - (Ce0 - 2)) + (1 + 4 + 65 * 4) / 3.0,
                     Loss(new LossOptions { Kind = LossKind.CeMse }, F3, 2), 4);

    [Fact]
    public void Masked_positions_are_left_out_of_every_loss()
    {
        foreach (LossKind kind in Enum.GetValues<LossKind>())
        {
            var o = new LossOptions { Kind = kind, IgnoreIndex = -1 };
            using var f = tensor(new float[] { 1, 2, 3, 9, -4, 0.5f }, [2, 3]);
            using var masked = LossFunctions.Compute(f, tensor(new long[] { 0, -1 }), o);
            Assert.Equal(Loss(o, F3, 0), masked.item<float>(), 5);
        }
    }

    [Fact]
    public void Gradients_match_finite_differences()
    {
        foreach (LossKind kind in Enum.GetValues<LossKind>())
        {
            var o = new LossOptions { Kind = kind, MseTargetWeight = 3 };
            random.manual_seed(5);
            var f = randn(4, 5).requires_grad_(true);
            var y = tensor(new long[] { 0, 3, 4, 1 });
            LossFunctions.Compute(f, y, o).backward();
            var grad = f.grad!.data<float>().ToArray();
            var values = f.detach().data<float>().ToArray();
            const float h = 1e-2f;
            for (int i = 0; i < values.Length; i++)
            {
                var plus = (float[])values.Clone(); plus[i] += h;
                var minus = (float[])values.Clone(); minus[i] -= h;
                double lp = LossFunctions.Compute(tensor(plus, [4, 5]), y, o).item<float>();
                double lm = LossFunctions.Compute(tensor(minus, [4, 5]), y, o).item<float>();
                Assert.True(Math.Abs((lp - lm) / (2 * h) - grad[i]) < 2e-3, $"{kind} d/df[{i}]: {(lp - lm) / (2 * h)} vs {grad[i]}");
            }
        }
    }
}
