using System.Diagnostics;
using GptLab.Checkpoints;
using GptLab.Runs;

namespace GptLab.Tests.Cli;

/// <summary>The real gptlab program, run as a user runs it.</summary>
public class CliTests
{
    private static readonly string[] TinySets = Tiny.CliSets("peak_flops=1e11");

    private static void AssertOneLineError((int Exit, string Out, string Err) r, string expected)
    {
        Assert.NotEqual(0, r.Exit);
        var lines = r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(expected, lines[0]);
        Assert.DoesNotContain("   at ", r.Err + r.Out);
    }

    [Fact]
    public void Prepare_a_missing_file_is_one_line_and_nonzero() =>
        AssertOneLineError(GptLabProcess.Run(Path.GetTempPath(), "prepare", "/no/such/file.txt"), "no such file");

    [Fact]
    public void Prepare_then_train_then_resume_from_the_command_line()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["t.txt"], Tiny.ShakespeareText(20000));
        var p = GptLabProcess.Run(dir.Path, "prepare", "t.txt", "--out", "data/t");
        Assert.True(p.Exit == 0, p.Err);
        var again = GptLabProcess.Run(dir.Path, "prepare", "t.txt", "--out", "data/t");
        AssertOneLineError(again, "--force");

        var t = GptLabProcess.Run(dir.Path, ["train", "--data", "data/t", "--out", "runs/a", "--set", "max_iters=6", "--set", "eval_interval=3", .. TinySets, "--samples", "1"]);
        Assert.True(t.Exit == 0, t.Err);
        Assert.Contains("finished at step 6", t.Out);
        var run = new RunDirectory(dir["runs/a"]);
        Assert.Equal("finished", run.ReadStatus()!.State);
        Assert.Equal(6, CheckpointStore.ReadManifest(run.LastCheckpoint).Step);

        var r = GptLabProcess.Run(dir.Path, "train", "--resume", "runs/a", "--set", "max_iters=9", "--samples", "0");
        Assert.True(r.Exit == 0, r.Err);
        Assert.Equal(9, CheckpointStore.ReadManifest(run.LastCheckpoint).Step);
        Assert.Equal(9, run.ReadMetrics().Count(m => m.Kind == "train"));

        var viaKey = GptLabProcess.Run(dir.Path, "train", "--out", "runs/a", "--set", "init_from=resume", "--set", "max_iters=10", "--samples", "0");
        Assert.True(viaKey.Exit == 0, viaKey.Err);
        Assert.Equal(10, CheckpointStore.ReadManifest(run.LastCheckpoint).Step);
        AssertOneLineError(GptLabProcess.Run(dir.Path, "train", "--resume", "runs/a", "--set", "n_layer=3"), "n_layer");
        // a resume against other data is refused before the run folder is touched
        string metricsBefore = File.ReadAllText(run.MetricsPath), configBefore = File.ReadAllText(run.ConfigPath);
        File.WriteAllText(dir["u.txt"], Tiny.ShakespeareText(30000));
        Assert.Equal(0, GptLabProcess.Run(dir.Path, "prepare", "u.txt", "--out", "data/t", "--force").Exit);
        AssertOneLineError(GptLabProcess.Run(dir.Path, "train", "--resume", "runs/a", "--set", "max_iters=14"), "other data");
        Assert.Equal(metricsBefore, File.ReadAllText(run.MetricsPath));
        Assert.Equal(configBefore, File.ReadAllText(run.ConfigPath));
        // a fresh run whose config does not fit the data leaves no folder behind
        AssertOneLineError(GptLabProcess.Run(dir.Path, ["train", "--data", "data/t", "--out", "runs/big", .. TinySets, "--set", "block_size=100000"]), "block_size");
        Assert.False(Directory.Exists(dir["runs/big"]));
        AssertOneLineError(GptLabProcess.Run(dir.Path, ["train", "--data", "data/t", "--out", "runs/a", .. TinySets]), "already holds a run");
        AssertOneLineError(GptLabProcess.Run(dir.Path, "train", "--data", "data/t", "--set", "n_embd=15"), "n_embd");
        AssertOneLineError(GptLabProcess.Run(dir.Path, "train", "--data", "data/none"), "gptlab prepare");
    }

    [Fact]
    public async Task Sigint_saves_the_last_checkpoint_and_exits_zero()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["t.txt"], Tiny.ShakespeareText(20000));
        Assert.Equal(0, GptLabProcess.Run(dir.Path, "prepare", "t.txt", "--out", "data/t").Exit);
        using var p = GptLabProcess.Start(dir.Path, ["train", "--data", "data/t", "--out", "runs/s", "--set", "max_iters=1000000", "--set", "eval_interval=100000", .. TinySets]);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        var metrics = dir["runs/s/metrics.jsonl"];
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromMinutes(2) && (!File.Exists(metrics) || File.ReadAllLines(metrics).Length < 5)) await Task.Delay(100);
        Process.Start("kill", ["-INT", p.Id.ToString()])!.WaitForExit();
        Assert.True(p.WaitForExit(TimeSpan.FromMinutes(1)));
        Assert.True(p.ExitCode == 0, await stderr);
        Assert.Contains("stopped at step", await stdout);
        var run = new RunDirectory(dir["runs/s"]);
        Assert.Equal("stopped", run.ReadStatus()!.State);
        Assert.True(CheckpointStore.ReadManifest(run.LastCheckpoint).Step >= 4);
    }

    [Fact]
    public void A_run_trained_on_relative_data_evaluates_from_any_folder()
    {
        using var dir = new TempDir();
        using var elsewhere = new TempDir();
        File.WriteAllText(dir["t.txt"], Tiny.ShakespeareText(8000));
        Assert.Equal(0, GptLabProcess.Run(dir.Path, "prepare", "t.txt", "--out", "data/t").Exit);
        var t = GptLabProcess.Run(dir.Path, ["train", "--data", "data/t", "--out", "runs/a", "--set", "max_iters=2", .. TinySets, "--samples", "0"]);
        Assert.True(t.Exit == 0, t.Err);
        var e = GptLabProcess.Run(elsewhere.Path, "eval", "--run", dir["runs/a"], "--json");
        Assert.True(e.Exit == 0, e.Err);   // the relative path fails from here; the recorded absolute path is used
        Assert.Contains("\"nll\"", e.Out);
        Directory.Move(dir["data"], dir["moved"]);
        var gone = GptLabProcess.Run(elsewhere.Path, "eval", "--run", dir["runs/a"]);
        AssertOneLineError(gone, "pass --data DIR");
        Assert.DoesNotContain("prepare", gone.Err);   // never advises re-preparing
    }
}
