using System.Text.Json.Nodes;
using GptLab.Training;

namespace GptLab.Tests.Training;

public class ScheduleAndConfigTests
{
    private static readonly TrainConfig C = new() { LearningRate = 1e-3, MinLr = 1e-4, WarmupIters = 100, LrDecayIters = 2000 };

    [Fact]
    public void Cosine_schedule_warms_up_linearly_from_step_0() =>
        Assert.Equal(1e-3 * 1 / 101, LrSchedule.Get(0, C), 12);

    [Fact]
    public void Cosine_schedule_peaks_at_the_end_of_warmup() => Assert.Equal(1e-3, LrSchedule.Get(100, C), 12);

    [Fact]
    public void Cosine_schedule_is_halfway_at_the_midpoint() => Assert.Equal(5.5e-4, LrSchedule.Get(1050, C), 12);

    [Fact]
    public void Cosine_schedule_reaches_min_lr_at_decay_end()
    {
        Assert.Equal(1e-4, LrSchedule.Get(2000, C), 12);
        Assert.Equal(1e-4, LrSchedule.Get(5000, C), 12);
    }

    [Fact]
    public void Constant_learning_rate_without_decay() => Assert.Equal(1e-3, LrSchedule.Get(7, C with { DecayLr = false }));

    [Fact]
    public void Preset_then_sets_override_defaults()
    {
        var c = ConfigResolver.Resolve([ConfigResolver.LoadPreset("shakespeare-char-cpu")], ["learning_rate=3e-4", "pos-embedding=rope", "bias=true"]);
        Assert.Equal(4, c.NLayer);
        Assert.Equal(64, c.BlockSize);
        Assert.Equal(3e-4, c.LearningRate);
        Assert.Equal(GptLab.Model.PosEmbedding.Rope, c.PosEmbedding);
        Assert.True(c.Bias);
    }

    [Fact]
    public void Every_shipped_preset_resolves()
    {
        foreach (var p in ConfigResolver.Presets) ConfigResolver.Resolve([ConfigResolver.LoadPreset(p)], []);
        Assert.Contains("gpt2-xl", ConfigResolver.Presets);
        Assert.Contains("gpt3-125m", ConfigResolver.Presets);
    }

    [Theory]
    [InlineData("learning_rat=1", "did you mean 'learning_rate'")]
    [InlineData("n_embd=130", "n_embd")]
    [InlineData("dropout=1.5", "dropout")]
    [InlineData("n_layer=abc", "n_layer")]
    [InlineData("loss=hinge", "loss")]
    [InlineData("nonsense", "key=value")]
    public void Bad_settings_name_the_key(string set, string expected)
    {
        var e = Assert.Throws<GptLabException>(() => ConfigResolver.Resolve([ConfigResolver.LoadPreset("shakespeare-char-cpu")], [set]));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Unknown_keys_in_a_config_file_are_rejected()
    {
        var e = Assert.Throws<GptLabException>(() => ConfigResolver.Resolve([new JsonObject { ["n_layers"] = 3 }], []));
        Assert.Contains("n_layer", e.Message);
    }

    [Fact]
    public void Setting_max_iters_on_a_preset_scales_the_schedule_and_says_so()
    {
        var (c, _, note) = ConfigResolver.FromPreset("shakespeare-char-cpu", null, ["max_iters=300"]);
        Assert.Equal(300, c.LrDecayIters);
        Assert.Equal(15, c.WarmupIters);   // the preset's 100 of 2,000, scaled
        Assert.Contains("lr_decay_iters 2,000 → 300", note);
        var (own, _, none) = ConfigResolver.FromPreset("shakespeare-char-cpu", null, ["max_iters=300", "lr_decay_iters=1000"]);
        Assert.Equal(1000, own.LrDecayIters);
        Assert.Null(none);
    }

    [Fact]
    public void A_short_sweep_on_the_default_preset_fits_warm_up_inside_its_budget()
    {
        var spec = GptLab.Tests.Sweeps.SweepSpecTests.Spec("""{ "fixed": { "max_iters": 30 }, "parameters": { "learning_rate": [1e-3, 1e-2] } }""");
        var c = spec.TrialConfig(spec.Expand()[0], 0);
        Assert.Equal(30, c.LrDecayIters);
        Assert.True(c.WarmupIters <= 30);
    }
}
