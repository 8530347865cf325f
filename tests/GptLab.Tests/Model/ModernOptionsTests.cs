using GptLab.Benchmarks;
using GptLab.Losses;
using GptLab.Model;
using GptLab.Training;
using static TorchSharp.torch;

namespace GptLab.Tests.Model;

/// <summary>The speedrun options (each off by default: nanoGPT parity), checked against their formulas; a tiny
/// training with all of them on is in SpeedrunOptionsTests.</summary>
public class ModernOptionsTests
{
    private static readonly GptConfig Small = new() { VocabSize = 64, BlockSize = 8, NLayer = 2, NHead = 2, NEmbd = 16 };

    [Fact]
    public void Rmsnorm_divides_by_the_root_mean_square_and_keeps_GPT2_parameter_names()
    {
        random.manual_seed(4);
        var x = randn(3, 5, 16);
        var expected = x / (x.square().mean([-1], keepdim: true) + 1e-5).sqrt();
        using var model = new Gpt(Small with { Norm = NormKind.RmsNorm });
        Assert.True((Norms.Rms(x, 1e-5) - expected).abs().max().item<float>() < 1e-5);
        Assert.Contains(model.named_parameters(), p => p.name == "transformer.h.0.ln_1.weight");
        Assert.DoesNotContain(model.named_parameters(), p => p.name.EndsWith("ln_1.bias"));
    }

    [Fact]
    public void Softcap_bounds_the_logits_and_matches_c_tanh()
    {
        random.manual_seed(5);
        using var plain = new Gpt(Small);
        using var capped = new Gpt(Small with { LogitSoftcap = 0.5 });
        using (no_grad()) foreach (var (p, q) in plain.parameters().Zip(capped.parameters())) q.copy_(p * 30);   // large logits
        using (no_grad()) foreach (var p in plain.parameters()) p.mul_(30);
        var idx = randint(0, 64, [2, 8]);
        using var a = plain.forward(idx);
        using var b = capped.forward(idx);
        Assert.True(b.abs().max().item<float>() <= 0.5);
        Assert.True((b - 0.5 * (a / 0.5).tanh()).abs().max().item<float>() < 1e-5);
    }

    [Fact]
    public void Zero_init_projections_make_every_block_start_as_the_identity()
    {
        using var model = new Gpt(Small with { ZeroInitProj = true });
        Assert.All(model.named_parameters().Where(p => p.name.EndsWith("c_proj.weight")), p => Assert.Equal(0, p.parameter.abs().sum().item<float>()));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Qk_norm_makes_attention_blind_to_the_scale_of_queries_and_keys(bool qkNorm)
    {
        random.manual_seed(7);
        using var model = new Gpt(Small with { QkNorm = qkNorm, Bias = false });
        var idx = randint(0, 64, [2, 8]);
        using var before = model.forward(idx);
        using (no_grad())
            foreach (var (name, p) in model.named_parameters().Where(p => p.name.EndsWith("c_attn.weight")))
                p.narrow(0, 0, 2 * 16).mul_(3);                                   // the query and key rows, ×3
        using var after = model.forward(idx);
        bool same = (before - after).abs().max().item<float>() < 1e-4;
        Assert.Equal(qkNorm, same);
    }

    [Fact]
    public void Relu2_squares_the_relu()
    {
        random.manual_seed(6);
        using var a = new Gpt(Small with { Activation = Activation.Relu2 });
        using var b = new Gpt(Small);
        Assert.NotEqual(a.forward(ones(1, 4, dtype: ScalarType.Int64)).sum().item<float>(), b.forward(ones(1, 4, dtype: ScalarType.Int64)).sum().item<float>());
    }

    [Fact]
    public void Wsd_holds_the_rate_then_decays_linearly_to_min_lr()
    {
        var c = new TrainConfig { LrSchedule = LrScheduleKind.Wsd, LearningRate = 1e-3, MinLr = 1e-4, WarmupIters = 10, LrDecayIters = 110, DecayFrac = 0.2 };
        Assert.Equal(1e-3 * 1 / 11, LrSchedule.Get(0, c), 12);
        Assert.Equal(1e-3, LrSchedule.Get(10, c), 12);
        Assert.Equal(1e-3, LrSchedule.Get(90, c), 12);              // decay starts at 110 − 0.2·100
        Assert.Equal(5.5e-4, LrSchedule.Get(100, c), 12);            // halfway down
        Assert.Equal(1e-4, LrSchedule.Get(110, c), 12);
        Assert.Equal(1e-4, LrSchedule.Get(500, c), 12);
    }
}
