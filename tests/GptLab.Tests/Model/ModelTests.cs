using GptLab.Checkpoints;
using GptLab.Losses;
using GptLab.Model;
using GptLab.Training;
using static TorchSharp.torch;

namespace GptLab.Tests.Model;

public class ModelTests
{
    private static readonly GptConfig Small = new() { VocabSize = 128, BlockSize = 8, NLayer = 2, NHead = 2, NEmbd = 16, Bias = true };

    [Fact]
    public void Parameter_names_and_shapes_are_GPT2s()
    {
        using var model = new Gpt(Small);
        var actual = model.named_parameters().Select(p => $"{p.name} {string.Join("x", p.parameter.shape)}");
        var expected = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Fixtures", "gpt_parameters.txt")).Where(l => l.Length > 0);
        Assert.Equal(expected, actual);
    }

    [Theory]
    [InlineData(ScalarType.Float32, 1e-5)]
    [InlineData(ScalarType.BFloat16, 0.05)]
    public void Attention_written_out_for_training_computes_what_the_fused_kernel_does(ScalarType autocast, double tolerance)
    {
        // A dropout so small that it keeps every value, and no dropout (CPU training up to block 256): training mode
        // takes the written-out path (scale on q, causal mask added in place), evaluation mode libtorch's
        // scaled_dot_product_attention.
        random.manual_seed(3);
        using var idx = randint(0, 128, [3, 8]);
        foreach (double p in new[] { 1e-12, 0 })
        {
            random.manual_seed(3);
            using var model = new Gpt(Small with { Dropout = p });
            if (autocast != ScalarType.Float32) model.Autocast = autocast;
            model.eval();
            using var fused = model.forward(idx);
            model.train();
            using var written = model.forward(idx);
            double maxDiff = (written - fused).abs().max().item<float>();
            Assert.True(maxDiff <= tolerance, $"dropout {p}: max |Δlogits| = {maxDiff}");
        }
        // and a real dropout changes them
        using var dropped = new Gpt(Small with { Dropout = 0.5 });
        dropped.train();
        using var trained = dropped.forward(idx);
        dropped.eval();
        Assert.True((trained - dropped.forward(idx)).abs().max().item<float>() > 1e-3);
    }

    [Fact]
    public void Logits_and_loss_match_nanoGPT_in_PyTorch()
    {
        var fixture = SafeTensors.Load(Path.Combine(AppContext.BaseDirectory, "Fixtures", "gpt_parity.safetensors"));
        using var model = new Gpt(new GptConfig { VocabSize = 11, BlockSize = 8, NLayer = 2, NHead = 2, NEmbd = 16, Bias = true });
        var path = Path.GetTempFileName();
        try
        {
            SafeTensors.Save(path, fixture.Where(kv => kv.Key.StartsWith("transformer.")).Select(kv => (kv.Key, kv.Value)));
            CheckpointStore.LoadWeights(model, path);
        }
        finally { File.Delete(path); }
        model.eval();
        using var logits = model.forward(fixture["input.idx"]);
        double maxDiff = (logits - fixture["expected.logits"]).abs().max().item<float>();
        Assert.True(maxDiff <= 1e-5, $"max |Δlogits| = {maxDiff}");
        using var loss = LossFunctions.Compute(logits, fixture["input.targets"], new LossOptions());
        Assert.Equal(fixture["expected.loss"].item<float>(), loss.item<float>(), 5);
    }

    [Fact]
    public void The_tied_weight_is_one_parameter_updated_and_clipped_once()
    {
        random.manual_seed(1);
        using var model = new Gpt(Small);
        var names = model.named_parameters().Select(p => p.name).ToList();
        Assert.Single(names, n => n.Contains("wte"));
        var config = new TrainConfig { LearningRate = 0.01, WeightDecay = 0, GradClip = 0 };
        using var opt = new Optimizer(model, config);
        var idx = randint(0, 100, [2, 8]);
        var loss = LossFunctions.Compute(model.forward(idx), randint(0, 100, [2, 8]), new LossOptions());
        loss.backward();
        var grads = model.parameters().Select(p => p.grad!).ToList();
        double expectedNorm = Math.Sqrt(grads.Sum(g => g.square().sum().item<float>()));
        Assert.Equal(expectedNorm, opt.ClipGradNorm(0), 4);
        var wte = model.named_parameters().First(p => p.name == "transformer.wte.weight").parameter;
        var before = wte.detach().clone();
        var grad = wte.grad!.clone();
        opt.Apply(0.01);
        // First AdamW step moves each element by lr·sign(g) (for |g| ≫ eps): once, not twice.
        var delta = (wte.detach() - before).abs();
        var moved = grad.abs().gt(1e-3);
        Assert.True(moved.any().item<bool>());
        Assert.Equal(0.01, delta.masked_select(moved).max().item<float>(), 4);
    }

    [Fact]
    public void Rope_model_trains_without_position_embeddings()
    {
        random.manual_seed(2);
        using var model = new Gpt(Small with { PosEmbedding = PosEmbedding.Rope });
        Assert.DoesNotContain(model.named_parameters(), p => p.name.Contains("wpe"));
        using var opt = new Optimizer(model, new TrainConfig { LearningRate = 3e-3, WeightDecay = 0 });
        var x = randint(0, 100, [4, 8]);
        var y = x.roll(-1, 1);   // predict the next token of a fixed batch: only position information tells the order
        double Loss() => LossFunctions.Compute(model.forward(x), y, new LossOptions()).item<float>();
        double first = Loss();
        for (int i = 0; i < 60; i++)
        {
            using var scope = NewDisposeScope();
            LossFunctions.Compute(model.forward(x), y, new LossOptions()).backward();
            opt.ClipGradNorm(1.0);
            opt.Apply(3e-3);
            opt.ZeroGrad();
        }
        double last = Loss();
        Assert.True(last < first * 0.5, $"loss {first:0.000} → {last:0.000}: the rope model did not learn the batch");
    }

    [Fact]
    public void Bfloat16_autocast_tracks_float32_logits()
    {
        random.manual_seed(3);
        using var model = new Gpt(Small);
        model.eval();
        var idx = randint(0, 100, [2, 8]);
        using var fp32 = model.forward(idx);
        model.Autocast = ScalarType.BFloat16;
        using var bf16 = model.forward(idx);
        Assert.Equal(ScalarType.Float32, bf16.dtype);
        Assert.True((fp32 - bf16).abs().max().item<float>() < 0.05);
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.BFloat16)]
    [InlineData(ScalarType.Float16)]
    public void Dropout_zeroes_a_fraction_p_and_keeps_the_mean(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        random.manual_seed(8);
        var x = ones(401, 503, dtype: dtype);   // an odd count: the last value comes from half a draw
        var y = ModelContext.Dropout(x, 0.2, training: true);
        Assert.Equal(dtype, y.dtype);
        var zero = y.eq(0).to(ScalarType.Float32).flatten();
        Assert.InRange(zero.mean().item<float>(), 0.19, 0.21);
        // each draw gives two neighbouring values: both halves must be fair, and neighbours independent
        Assert.InRange(zero.narrow(0, 0, zero.shape[0] - 1).view(-1, 2).mean([0]).min().item<float>(), 0.19, 0.21);
        Assert.InRange(zero.narrow(0, 0, zero.shape[0] - 1).view(-1, 2).prod(1).mean().item<float>(), 0.03, 0.05);
        Assert.InRange(y.to(ScalarType.Float32).mean().item<float>(), 0.98, 1.02);
        Assert.Equal(1.25f, y.to(ScalarType.Float32).max().item<float>(), 5);
        Assert.Equal(0f, y.to(ScalarType.Float32).flatten().narrow(0, 200_000, 1000).ne(0).logical_and(y.to(ScalarType.Float32).flatten().narrow(0, 200_000, 1000).ne(1.25f)).sum().item<long>());
        Assert.Same(x, ModelContext.Dropout(x, 0.2, training: false));
        // the generator's seed decides the mask: the same seed, the same mask; the next call, another
        random.manual_seed(8);
        var again = ModelContext.Dropout(x, 0.2, training: true);
        Assert.Equal(0L, again.ne(y).sum().item<long>());
        Assert.True(ModelContext.Dropout(x, 0.2, training: true).ne(y).sum().item<long>() > 10_000);
    }

    [Fact]
    public void Dropout_in_attention_trains_and_is_off_in_eval()
    {
        random.manual_seed(9);
        using var model = new Gpt(Small with { Dropout = 0.3 });
        var idx = randint(0, 100, [2, 8]);
        model.train();
        using var a = model.forward(idx);
        using var b = model.forward(idx);
        Assert.True((a - b).abs().max().item<float>() > 1e-3);   // different masks each call
        model.eval();
        using var c = model.forward(idx);
        using var d = model.forward(idx);
        Assert.Equal(0f, (c - d).abs().max().item<float>());
    }

    [Fact]
    public void Bad_shapes_are_rejected()
    {
        Assert.Throws<GptLabException>(() => new Gpt(Small with { NEmbd = 15 }));
        Assert.Throws<GptLabException>(() => new Gpt(Small with { PosEmbedding = PosEmbedding.Rope, NEmbd = 24, NHead = 8 }));   // head size 3
    }
}
