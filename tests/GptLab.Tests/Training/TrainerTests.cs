using GptLab.Checkpoints;
using GptLab.Data;
using GptLab.IO;
using GptLab.Losses;
using GptLab.Runs;
using GptLab.Training;

namespace GptLab.Tests.Training;

public class TrainerTests
{
    private static RecordingObserver Train(TrainConfig config, Dataset data, RunDirectory? run = null, string? resume = null)
    {
        var rec = new RecordingObserver();
        using var trainer = new Trainer(config, data, run, resume);
        trainer.Run([rec]);
        return rec;
    }

    [Fact]
    public void Same_seed_gives_the_same_loss_curve()
    {
        using var dir = new TempDir();
        using var data = Dataset.Open(Tiny.CharDataset(dir));
        var a = Train(Tiny.Config(data.Directory), data).Steps.Select(s => s.Loss);
        var b = Train(Tiny.Config(data.Directory), data).Steps.Select(s => s.Loss);
        Assert.Equal(a, b);
    }

    [Fact]
    public void Loss_goes_down_when_overfitting_one_small_text()
    {
        using var dir = new TempDir();
        using var data = Dataset.Open(Tiny.CharDataset(dir, 3000));
        var rec = Train(Tiny.Config(data.Directory, 60) with { EvalInterval = 60, LearningRate = 3e-2 }, data);
        Assert.True(rec.Evals[^1].TrainLoss < rec.Evals[0].TrainLoss - 1.0, $"{rec.Evals[0].TrainLoss} → {rec.Evals[^1].TrainLoss}");
    }

    [Fact]
    public void Resume_continues_the_same_loss_curve()
    {
        using var dir = new TempDir();
        using var data = Dataset.Open(Tiny.CharDataset(dir));
        var config = Tiny.Config(data.Directory, 12) with { Dropout = 0.1, EvalInterval = 4 };
        var whole = Train(config, data, new RunDirectory(dir["whole"]).Also(r => r.Create()));

        var run = new RunDirectory(dir["split"]);
        run.Create();
        Train(config with { MaxIters = 6 }, data, run);
        Assert.Equal(6, CheckpointStore.ReadManifest(run.LastCheckpoint).Step);
        var second = Train(config, data, run, run.LastCheckpoint);

        Assert.Equal(whole.Steps.Skip(6).Select(s => s.Loss), second.Steps.Select(s => s.Loss));
        Assert.Equal(whole.Steps.Skip(6).Select(s => s.GradNorm), second.Steps.Select(s => s.GradNorm));
    }

    [Fact]
    public void Val_nll_is_the_same_yardstick_whatever_the_training_loss()
    {
        using var dir = new TempDir();
        using var data = Dataset.Open(Tiny.CharDataset(dir));
        // same seed → same initial weights and eval batches: at step 0 every loss must report the same NLL,
        // measured over the real vocabulary (not the padding up to 64)
        var nll = new[] { LossKind.CrossEntropy, LossKind.Squentropy, LossKind.Mse, LossKind.CeMse }
            .Select(l => Train(Tiny.Config(data.Directory, 1) with { Loss = l }, data).Evals[0].ValNll!.Value).ToList();
        Assert.All(nll, v => Assert.Equal(nll[0], v, 6));
        Assert.True(nll[0] < Math.Log(64) + 0.1, $"{nll[0]} looks like an NLL over the padded vocabulary");
    }

    [Fact]
    public void Gradient_accumulation_equals_one_big_batch()
    {
        using var dir = new TempDir();
        using var data = Dataset.Open(Tiny.CharDataset(dir));
        var big = Tiny.Config(data.Directory, 3) with { BatchSize = 4, GradientAccumulationSteps = 1, EvalInterval = 100 };
        var small = big with { BatchSize = 2, GradientAccumulationSteps = 2 };
        using var t1 = new Trainer(big, data, null);
        t1.Run([]);
        using var t2 = new Trainer(small, data, null);
        t2.Run([]);
        var p1 = t1.Model.parameters().ToList();
        var p2 = t2.Model.parameters().ToList();
        for (int i = 0; i < p1.Count; i++)
            Assert.True((p1[i] - p2[i]).abs().max().item<float>() < 1e-5, $"parameter {i} differs");
    }

    [Fact]
    public void Epochs_set_the_number_of_iterations()
    {
        using var dir = new TempDir();
        using var data = Dataset.Open(Tiny.CharDataset(dir, 3000));
        var config = Tiny.Config(data.Directory) with { Epochs = 1, Batching = Batching.Sequential, EvalInterval = 1000 };
        using var t = new Trainer(config, data, null);
        long chunks = (data.Train.Count - 1) / 16;
        Assert.Equal((int)Math.Ceiling(chunks / 4.0), t.MaxIters);
    }

    [Fact]
    public void A_nan_loss_stops_and_leaves_the_last_checkpoint_intact()
    {
        using var dir = new TempDir();
        using var data = Dataset.Open(Tiny.CharDataset(dir));
        var run = new RunDirectory(dir["run"]);
        run.Create();
        var config = Tiny.Config(data.Directory, 5);
        Train(config, data, run);
        byte[] weights = File.ReadAllBytes(Path.Combine(run.LastCheckpoint, CheckpointStore.ModelFile));
        var bad = config with { MaxIters = 50, LearningRate = 1e30, MinLr = 1e30, WarmupIters = 0, LrDecayIters = 50, GradClip = 0 };
        var e = Assert.Throws<GptLabException>(() => Train(bad, data, run, run.LastCheckpoint));
        Assert.Matches("NaN|infinite", e.Message);
        Assert.Equal(weights, File.ReadAllBytes(Path.Combine(run.LastCheckpoint, CheckpointStore.ModelFile)));
        Assert.Equal(5, CheckpointStore.ReadManifest(run.LastCheckpoint).Step);
    }

    [Fact]
    public void An_interrupted_checkpoint_write_leaves_the_previous_one()
    {
        using var dir = new TempDir();
        using var data = Dataset.Open(Tiny.CharDataset(dir));
        var run = new RunDirectory(dir["run"]);
        run.Create();
        Train(Tiny.Config(data.Directory, 5), data, run);
        // A process killed mid-write leaves a staging folder without a manifest …
        string staging = AtomicDirectory.CreateStaging(run.LastCheckpoint);
        File.WriteAllBytes(Path.Combine(staging, CheckpointStore.ModelFile), new byte[10]);
        using (var ck = CheckpointStore.Load(run.LastCheckpoint)) Assert.Equal(5, ck.Manifest.Step);
        // … or, killed between the two renames, the old folder under its .old name: it is put back.
        string old = Path.Combine(run.CheckpointsDir, ".last.old-test");
        Directory.Move(run.LastCheckpoint, old);
        Assert.True(CheckpointStore.Exists(run.LastCheckpoint));
        using (var ck = CheckpointStore.Load(run.LastCheckpoint)) Assert.Equal(5, ck.Manifest.Step);
    }

    [Fact]
    public void Block_size_larger_than_the_data_is_a_clear_error()
    {
        using var dir = new TempDir();
        using var data = Dataset.Open(Tiny.CharDataset(dir, 2000));
        var e = Assert.Throws<GptLabException>(() => new Trainer(Tiny.Config(data.Directory) with { BlockSize = 4096 }, data, null));
        Assert.Contains("block_size", e.Message);
    }

    [Fact]
    public void Run_folder_records_metrics_samples_and_checkpoints()
    {
        using var dir = new TempDir();
        using var data = Dataset.Open(Tiny.CharDataset(dir));
        var run = new RunDirectory(dir["run"]);
        run.Create();
        Train(Tiny.Config(data.Directory, 10), data, run);
        var metrics = run.ReadMetrics();
        Assert.Equal(10, metrics.Count(m => m.Kind == "train"));
        Assert.Equal(3, metrics.Count(m => m.Kind == "eval"));     // steps 0, 5, 10
        Assert.All(metrics.Where(m => m.Kind == "train"), m => Assert.True(m.TokensPerS > 0 && m.MsPerStep > 0 && m.Lr > 0));
        Assert.Equal(3, run.ReadSamples().Count);
        Assert.True(CheckpointStore.Exists(run.BestCheckpoint));
        using var ck = CheckpointStore.Load(run.LastCheckpoint);
        Assert.Equal(10, ck.Manifest.Step);
        Assert.Equal("char", ck.Tokenizer.Kind);
    }
}

internal static class ObjectExtensions
{
    public static T Also<T>(this T value, Action<T> act) { act(value); return value; }
}
