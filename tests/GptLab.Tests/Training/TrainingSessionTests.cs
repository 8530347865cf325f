using GptLab.Checkpoints;
using GptLab.Data;
using GptLab.IO;
using GptLab.Runs;
using GptLab.Training;

namespace GptLab.Tests.Training;

/// <summary>The one owner of a run's lifecycle, through its library API.</summary>
public class TrainingSessionTests
{
    [Fact]
    public void A_session_writes_the_run_folder_and_a_finished_status()
    {
        using var dir = new TempDir();
        string data = Tiny.CharDataset(dir);
        using (var s = TrainingSession.Start(Tiny.Config(data, 4), dir["run"]))
        {
            var r = s.Train([]);
            Assert.Equal(TrainOutcome.Finished, r.Outcome);
        }
        var run = new RunDirectory(dir["run"]);
        Assert.Equal("finished", run.ReadStatus()!.State);
        Assert.True(CheckpointStore.Exists(run.LastCheckpoint));
        Assert.Throws<GptLabException>(() => TrainingSession.Start(Tiny.Config(data, 4), dir["run"]));   // never over a run
    }

    [Fact]
    public void Resume_refuses_keys_that_would_change_the_model_and_lists_the_allowed_ones()
    {
        using var dir = new TempDir();
        string data = Tiny.CharDataset(dir);
        using (var s = TrainingSession.Start(Tiny.Config(data, 4), dir["run"])) s.Train([]);
        var e = Assert.Throws<GptLabException>(() => TrainingSession.Resume(dir["run"], ["n_layer=3"]));
        Assert.Contains("cannot change on resume", e.Message);
        Assert.Contains("max_iters", e.Message);
        using var again = TrainingSession.Resume(dir["run"], ["max_iters=6"]);
        Assert.Equal(4, again.ResumedAt);
        Assert.Equal(6, again.Train([]).Step);
    }

    [Fact]
    public void A_run_stopped_before_its_first_checkpoint_resumes_from_step_zero_in_the_same_folder()
    {
        using var dir = new TempDir();
        string data = Tiny.CharDataset(dir);
        var notes = new List<string>();
        using (var cts = new CancellationTokenSource())
        using (var s = TrainingSession.Start(Tiny.Config(data, 4) with { AlwaysSaveCheckpoint = false }, dir["run"]))
        {
            cts.Cancel();
            // stopped at step 0: there is nothing to checkpoint yet
            Assert.Equal(TrainOutcome.Stopped, s.Train([], cts.Token).Outcome);
        }
        AtomicDirectory.TryDelete(new RunDirectory(dir["run"]).LastCheckpoint);
        using var resumed = TrainingSession.Resume(dir["run"], [], new SessionOptions { Log = notes.Add });
        Assert.Null(resumed.ResumedAt);
        Assert.Contains(notes, n => n.Contains("starting it over from step 0"));
        Assert.Equal(4, resumed.Train([]).Step);
    }

    [Fact]
    public void Stale_checkpoint_temporaries_of_dead_writers_are_removed_on_resume()
    {
        using var dir = new TempDir();
        string data = Tiny.CharDataset(dir);
        using (var s = TrainingSession.Start(Tiny.Config(data, 4), dir["run"])) s.Train([]);
        var run = new RunDirectory(dir["run"]);
        string stale = Path.Combine(run.CheckpointsDir, ".last.tmp-0123456789abcdef");
        Directory.CreateDirectory(stale);
        File.WriteAllText(Path.Combine(stale, "model.safetensors"), "half");
        using (TrainingSession.Resume(dir["run"], [])) { }
        Assert.False(Directory.Exists(stale));
        Assert.True(CheckpointStore.Exists(run.LastCheckpoint));
    }

    [Fact]
    public void A_built_in_dataset_is_prepared_on_first_use()
    {
        using var dir = new TempDir();
        var config = Tiny.Config(dir["data/shakespeare-char"], 2);
        using var s = TrainingSession.Start(config, dir["run"]);
        Assert.Equal(65, s.Dataset.Tokenizer.VocabSize);
        Assert.True(File.Exists(dir["data/shakespeare-char/meta.json"]));
    }

    [Fact]
    public void A_misspelt_choice_lists_the_allowed_values()
    {
        var e = Assert.Throws<GptLabException>(() => ConfigResolver.Resolve([], ["optimizer=adam"]));
        Assert.Equal("config key 'optimizer' must be one of adamw, sgd, muon; got \"adam\"", e.Message);
        var d = Assert.Throws<GptLabException>(() => ConfigResolver.Resolve([], ["dtype=fp16"]));
        Assert.Contains("float32, bfloat16", d.Message);
    }
}
