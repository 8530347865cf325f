using GptLab.Checkpoints;
using GptLab.Runs;
using GptLab.Training;

namespace GptLab.Tests.OneWriter;

/// <summary>A run folder has one writer: a second process is refused at once, naming the holder, whatever the timing.</summary>
public class RunLockTests
{
    private static readonly string[] TinySets = Tiny.CliSets();

    [Fact]
    public async Task Two_resumes_started_together_train_once_and_the_second_is_refused_naming_the_first()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["t.txt"], Tiny.ShakespeareText(20000));
        Assert.Equal(0, GptLabProcess.Run(dir.Path, "prepare", "t.txt", "--out", "data/t").Exit);
        Assert.Equal(0, GptLabProcess.Run(dir.Path, ["train", "--data", "data/t", "--out", "runs/r", .. TinySets, "--set", "peak_flops=1e11", "--set", "max_iters=10", "--set", "eval_interval=5"]).Exit);
        string[] resume = ["train", "--resume", "runs/r", "--set", "max_iters=400", "--set", "eval_interval=100"];
        using var first = GptLabProcess.Start(dir.Path, resume);
        using var second = GptLabProcess.Start(dir.Path, resume);   // no pause between them: the harshest timing
        var firstOut = new ProcessOutput(first);
        var secondOut = new ProcessOutput(second);
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await Task.WhenAll(first.WaitForExitAsync(cts.Token), second.WaitForExitAsync(cts.Token));

        var (won, lost, lostOut, winner) = first.ExitCode == 0 ? (first, second, secondOut, first) : (second, first, firstOut, second);
        Assert.True(won.ExitCode == 0, firstOut.Text + secondOut.Text);
        Assert.NotEqual(0, lost.ExitCode);
        var err = lostOut.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(err);
        Assert.Contains($"is being trained by process {winner.Id} on {Environment.MachineName}", err[0]);
        var run = new RunDirectory(dir["runs/r"]);
        Assert.Equal(Enumerable.Range(1, 400), run.ReadMetrics().Where(m => m.Kind == "train").Select(m => m.Step));
        Assert.Equal(400, CheckpointStore.ReadManifest(run.LastCheckpoint).Step);
    }

    [Fact]
    public void A_session_is_refused_while_another_holds_the_folder_and_allowed_once_it_lets_go()
    {
        using var dir = new TempDir();
        string data = Tiny.CharDataset(dir, 8000);
        using (var s = TrainingSession.Start(Tiny.Config(data, 4), dir["runs/a"])) s.Train([]);
        var held = RunLock.Acquire(dir["runs/a"]);
        var e = Assert.Throws<GptLabException>(() => TrainingSession.Resume(dir["runs/a"], ["max_iters=8"]));
        Assert.Contains($"process {Environment.ProcessId} on {Environment.MachineName}", e.Message);
        using (RunLock.Acquire(dir["runs/b"]))   // a folder another process is just starting a run in
        {
            var e2 = Assert.Throws<GptLabException>(() => TrainingSession.Start(Tiny.Config(data, 4), dir["runs/b"]));
            Assert.Contains("is being trained by", e2.Message);
            Assert.False(File.Exists(dir["runs/b/config.json"]));
        }
        held.Dispose();
        using (var s = TrainingSession.Resume(dir["runs/a"], ["max_iters=8"])) Assert.Equal(8, s.Train([]).Step);
    }
}
