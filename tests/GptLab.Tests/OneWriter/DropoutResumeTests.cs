using GptLab.Checkpoints;
using GptLab.Runs;

namespace GptLab.Tests.OneWriter;

/// <summary>
/// Resume is bit-identical with dropout too: killed (-9) or stopped (SIGTERM) mid-run and resumed, the run ends with
/// the same files as an uninterrupted one. The MFU peak is measured here (no peak_flops), as a user's run does —
/// that measurement once drew from the training RNG after it was restored.
/// </summary>
public class DropoutResumeTests
{
    private static readonly string[] Sets = Tiny.CliSets("dropout=0.1", "max_iters=1000", "eval_interval=20");   // no peak_flops: measured; 1,000 steps so the kill at step 130 lands mid-run even at ~1.5 ms a step

    [Theory]
    [InlineData("KILL")]
    [InlineData("TERM")]
    public async Task A_run_with_dropout_killed_and_resumed_ends_byte_identical_to_an_uninterrupted_one(string signal)
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["t.txt"], Tiny.ShakespeareText(20000));
        Assert.Equal(0, GptLabProcess.Run(dir.Path, "prepare", "t.txt", "--out", "data/t").Exit);
        var whole = GptLabProcess.Run(dir.Path, ["train", "--data", "data/t", "--out", "runs/whole", .. Sets]);
        Assert.True(whole.Exit == 0, whole.Err);

        using (var p = GptLabProcess.Start(dir.Path, ["train", "--data", "data/t", "--out", "runs/cut", .. Sets]))
        {
            var output = new ProcessOutput(p);
            var cut = new RunDirectory(dir["runs/cut"]);
            var deadline = DateTime.UtcNow.AddMinutes(2);
            // past a checkpoint and mid-way to the next (kill -9 may land anywhere, a checkpoint write included)
            while (!p.HasExited && DateTime.UtcNow < deadline && cut.ReadMetrics().Count(m => m.Kind == "train") < 130) await Task.Delay(5);
            Assert.False(p.HasExited, output.Text);
            ProcessOutput.Signal(p, signal);
            using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            await p.WaitForExitAsync(cts.Token);
            if (signal == "TERM") Assert.True(p.ExitCode == 0, output.Text);   // SIGTERM saves the last checkpoint and exits 0
        }
        var resumed = GptLabProcess.Run(dir.Path, "train", "--resume", "runs/cut");
        Assert.True(resumed.Exit == 0, resumed.Err);

        var a = new RunDirectory(dir["runs/whole"]);
        var b = new RunDirectory(dir["runs/cut"]);
        Assert.Equal(Train(a), Train(b));
        Assert.Equal(a.ReadMetrics().Where(m => m.Kind == "eval").Select(m => (m.Step, m.ValLoss, m.ValNll)), b.ReadMetrics().Where(m => m.Kind == "eval").Select(m => (m.Step, m.ValLoss, m.ValNll)));
        foreach (var file in new[] { CheckpointStore.ModelFile, CheckpointStore.OptimizerFile })
            Assert.Equal(File.ReadAllBytes(Path.Combine(a.LastCheckpoint, file)), File.ReadAllBytes(Path.Combine(b.LastCheckpoint, file)));
        Assert.Equal(a.ReadSamples().Select(s => s.Text), b.ReadSamples().Select(s => s.Text));
    }

    private static List<(int, double?)> Train(RunDirectory run) => [.. run.ReadMetrics().Where(m => m.Kind == "train").Select(m => (m.Step, m.Loss))];
}
