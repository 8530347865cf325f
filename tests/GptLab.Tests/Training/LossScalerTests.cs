using GptLab.Checkpoints;
using GptLab.Data;
using GptLab.Losses;
using GptLab.Model;
using GptLab.Runs;
using GptLab.Training;
using static TorchSharp.torch;

namespace GptLab.Tests.Training;

/// <summary>float16 with dynamic loss scaling (PyTorch's GradScaler, by hand).</summary>
public class LossScalerTests
{
    [Fact]
    public void An_overflowing_step_is_skipped_and_the_scale_halved_then_training_goes_on()
    {
        using var dir = new TempDir();
        using var data = Dataset.Open(Tiny.CharDataset(dir, 6000));
        random.manual_seed(1);
        using var model = new Gpt(new GptConfig { VocabSize = 128, BlockSize = 16, NLayer = 1, NHead = 2, NEmbd = 16 }) { Autocast = ScalarType.Float16 };
        using var opt = new Optimizer(model, new TrainConfig { LearningRate = 1e-2 });
        var scaler = new LossScaler { Scale = 3e38 };                     // × any gradient: inf in float32
        var step = new TrainingStep(model, opt, new LossOptions(), data.Tokenizer.VocabSize, 1.0, null, scaler);
        var batches = new BatchSource(data.Train, 4, 16, false, 1);
        var before = model.parameters().Select(p => p.detach().clone()).ToList();
        double loss = step.Run(batches, 1, 1e-2, out double norm);
        Assert.True(double.IsFinite(loss));
        Assert.True(double.IsNaN(norm));                                   // the step was skipped
        Assert.Equal(1.5e38, scaler.Scale);
        Assert.Equal(1, scaler.SkippedSteps);
        Assert.All(model.parameters().Zip(before), pair => Assert.True((pair.First - pair.Second).abs().max().item<float>() == 0));   // weights untouched
        Assert.All(model.parameters(), p => Assert.True(p.grad is null || p.grad.abs().sum().item<float>() == 0));
        scaler.Scale = 1024;
        step.Run(batches, 1, 1e-2, out norm);
        Assert.True(double.IsFinite(norm));
        Assert.Contains(model.parameters().Zip(before), pair => (pair.First - pair.Second).abs().max().item<float>() > 0);      // now it trains
        Assert.Equal(1, scaler.GrowthTracker);
    }

    [Fact]
    public void The_scale_grows_after_a_run_of_good_steps()
    {
        var s = new LossScaler { Scale = 8, GrowthInterval = 3 };
        s.Update(false); s.Update(false);
        Assert.Equal(8, s.Scale);
        s.Update(false);
        Assert.Equal(16, s.Scale);
        s.Update(true);
        Assert.Equal(8, s.Scale);
        Assert.Equal(0, s.GrowthTracker);
    }

    [Fact]
    public void Float16_training_tracks_float32_and_checkpoints_its_scale()
    {
        using var dir = new TempDir();
        string data = Tiny.CharDataset(dir);
        double Final(Precision p, string run)
        {
            var rec = new RecordingObserver();
            using var s = TrainingSession.Start(Tiny.Config(data, 30) with { Dtype = p, EvalInterval = 30, LearningRate = 3e-3 }, dir[run]);
            s.Train([rec]);
            return rec.Evals[^1].ValNll!.Value;
        }
        double fp32 = Final(Precision.Float32, "fp32"), fp16 = Final(Precision.Float16, "fp16");
        Assert.True(Math.Abs(fp16 - fp32) < 0.02, $"val NLL fp16 {fp16:0.0000} vs fp32 {fp32:0.0000}");
        var m = CheckpointStore.ReadManifest(new RunDirectory(dir["fp16"]).LastCheckpoint);
        Assert.Equal(65536, m.LossScale);
        Assert.Equal(30, m.ScaleGrowthTracker);
    }
}
