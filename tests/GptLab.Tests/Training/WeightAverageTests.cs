using GptLab.Checkpoints;
using GptLab.Data;
using GptLab.Model;
using GptLab.Runs;
using GptLab.Training;
using static TorchSharp.torch;

namespace GptLab.Tests.Training;

/// <summary>ema_decay: the moving average of the weights is what a run evaluates and saves, and resuming continues
/// both the average and the training weights exactly.</summary>
public class WeightAverageTests
{
    private static bool Same(Tensor a, Tensor b) => (a.detach() - b.detach()).abs().max().item<float>() == 0;

    [Fact]
    public void The_average_follows_the_warmed_up_decay_and_swapping_it_in_is_undone_exactly()
    {
        random.manual_seed(3);
        using var model = new Gpt(new GptConfig { VocabSize = 16, BlockSize = 4, NLayer = 1, NHead = 1, NEmbd = 8 });
        using var average = new WeightAverage(model, 0.9);
        var p = model.parameters().First();
        var w0 = p.detach().clone();
        using (no_grad()) p.add_(1);
        average.Update(1);                                     // d = min(0.9, 2/11)
        using (no_grad()) p.add_(1);
        average.Update(2);                                     // d = min(0.9, 3/12)
        double d1 = 2.0 / 11, d2 = 3.0 / 12;
        var a1 = d1 * w0 + (1 - d1) * (w0 + 1);
        var expected = d2 * a1 + (1 - d2) * (w0 + 2);
        Assert.Equal(0.9, average.DecayAt(1000));
        var training = p.detach().clone();
        using (average.SwapIn())
        {
            Assert.True((p - expected).abs().max().item<float>() < 1e-6, "the model should hold the average");
            Assert.Throws<InvalidOperationException>(() => average.SwapIn());
        }
        Assert.True(Same(p, training), "the training weights should come back bit for bit");
        var saved = average.Averaged().First().Tensor;
        Assert.True((saved - expected).abs().max().item<float>() < 1e-6);
    }

    [Fact]
    public void A_run_with_ema_decay_evaluates_and_saves_the_average_and_resumes_on_the_same_curve()
    {
        using var dir = new TempDir();
        using var data = Dataset.Open(Tiny.CharDataset(dir));
        var config = Tiny.Config(data.Directory, 12) with { EmaDecay = 0.8, EvalInterval = 4, AlwaysSaveCheckpoint = true, LearningRate = 3e-3 };
        var whole = new RecordingObserver();
        var wholeRun = new RunDirectory(dir["whole"]);
        wholeRun.Create();
        using (var t = new Trainer(config, data, wholeRun))
        {
            t.Run([whole]);
            // the finished model holds the average, and evaluating it again gives the loss the run recorded
            Assert.Equal(whole.Evals[^1].ValNll!.Value, t.EstimateLoss().ValNll, 6);
            var state = CheckpointStore.LoadOptimizerState(wholeRun.LastCheckpoint);
            using var saved = CheckpointStore.Load(wholeRun.LastCheckpoint);
            var savedWeights = saved.Model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            foreach (var (name, p) in t.Model.named_parameters())
                Assert.True(Same(p, savedWeights[name]), $"model.safetensors should hold the average ({name})");
            Assert.Contains(state.Keys, k => k == WeightAverage.TrainingWeightsPrefix + "transformer.wte.weight");
            Assert.False(Same(state[WeightAverage.TrainingWeightsPrefix + "transformer.wte.weight"], savedWeights["transformer.wte.weight"]),
                "the training weights differ from their average");
        }

        var run = new RunDirectory(dir["split"]);
        run.Create();
        using (var t = new Trainer(config with { MaxIters = 6 }, data, run)) t.Run([]);
        var second = new RecordingObserver();
        using (var t = new Trainer(config, data, run, run.LastCheckpoint)) t.Run([second]);
        Assert.Equal(whole.Steps.Skip(6).Select(s => s.Loss), second.Steps.Select(s => s.Loss));
        Assert.Equal(whole.Evals[^1].ValNll, second.Evals[^1].ValNll);
        Assert.Equal(File.ReadAllBytes(Path.Combine(wholeRun.LastCheckpoint, CheckpointStore.ModelFile)),
            File.ReadAllBytes(Path.Combine(run.LastCheckpoint, CheckpointStore.ModelFile)));
    }

    [Fact]
    public void An_ema_decay_outside_zero_to_one_is_refused_with_the_range()
    {
        var e = Assert.Throws<GptLabException>(() => ConfigResolver.Validate(new TrainConfig { EmaDecay = 1 }));
        Assert.Contains("ema_decay", e.Message);
        Assert.Contains("[0, 1)", e.Message);
    }
}
