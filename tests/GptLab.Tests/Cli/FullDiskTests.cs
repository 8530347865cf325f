using GptLab.Checkpoints;
using GptLab.Runs;

namespace GptLab.Tests.Cli;

/// <summary>A command that cannot finish writing (a full disk) fails with one line and leaves the previous file intact.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class FullDiskTests(TrainedRun trained) : IClassFixture<TrainedRun>
{
    private static void AssertFailsCleanly((int Exit, string Out, string Err) r)
    {
        Assert.NotEqual(0, r.Exit);
        Assert.Single(r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", r.Err);
        Assert.DoesNotContain("   at ", r.Err + r.Out);
    }

    private static Dictionary<string, byte[]> Files(string dir) =>
        Directory.GetFiles(dir, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith("filler"))
            .ToDictionary(f => Path.GetRelativePath(dir, f), File.ReadAllBytes);

    [Fact]
    public void Export_report_tokenizer_and_prepare_keep_the_previous_files_on_a_full_disk()
    {
        string root = trained.Dir.Path;
        using var disk = new FullDisk(trained.Dir["full"]);
        File.WriteAllText(trained.Dir["corpus.txt"], Tiny.ShakespeareText(6000));
        Assert.Equal(0, GptLabProcess.Run(root, "export", "--run", "runs/tiny", "--out", "full/export").Exit);
        Assert.Equal(0, GptLabProcess.Run(root, "report", "runs/tiny", "--out", "full/report").Exit);
        Assert.Equal(0, GptLabProcess.Run(root, "tokenizer", "train", "corpus.txt", "--vocab-size", "300", "--out", "full/tok.json").Exit);
        Assert.Equal(0, GptLabProcess.Run(root, "prepare", "corpus.txt", "--out", "full/data").Exit);
        var before = Files(disk.Path);

        disk.Fill();
        AssertFailsCleanly(GptLabProcess.Run(root, "export", "--run", "runs/tiny", "--out", "full/export"));
        AssertFailsCleanly(GptLabProcess.Run(root, "report", "runs/tiny", "--out", "full/report"));
        AssertFailsCleanly(GptLabProcess.Run(root, "tokenizer", "train", "corpus.txt", "--vocab-size", "300", "--out", "full/tok.json", "--force"));
        AssertFailsCleanly(GptLabProcess.Run(root, "prepare", "corpus.txt", "--out", "full/data", "--force"));

        var after = Files(disk.Path);
        Assert.Equal(before.Keys.Order(), after.Keys.Order());   // no partial or temporary file left behind
        foreach (var (name, bytes) in before) Assert.True(bytes.AsSpan().SequenceEqual(after[name]), $"{name} changed");
    }

    [Fact]
    public void A_checkpoint_that_cannot_be_written_leaves_the_last_good_one()
    {
        string root = trained.Dir.Path;
        using var disk = new FullDisk(trained.Dir["fullrun"]);
        string[] tiny = ["--set", "n_layer=1", "--set", "n_head=2", "--set", "n_embd=16", "--set", "block_size=16", "--set", "batch_size=4",
            "--set", "eval_iters=1", "--set", "sample_tokens=0", "--set", "peak_flops=1e11", "--set", "eval_interval=2"];
        var first = GptLabProcess.Run(root, ["train", "--data", "data", "--out", "fullrun/r", "--set", "max_iters=2", "--samples", "0", .. tiny]);
        Assert.True(first.Exit == 0, first.Err);
        var last = new RunDirectory(trained.Dir["fullrun/r"]).LastCheckpoint;
        var before = File.ReadAllBytes(Path.Combine(last, CheckpointStore.ModelFile));

        disk.Fill();
        var more = GptLabProcess.Run(root, "train", "--resume", "fullrun/r", "--set", "max_iters=4", "--samples", "0");
        Assert.NotEqual(0, more.Exit);
        Assert.DoesNotContain("   at ", more.Err + more.Out);
        Assert.True(CheckpointStore.Exists(last));
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(last, CheckpointStore.ModelFile)));
        Assert.Equal(2, CheckpointStore.ReadManifest(last).Step);
    }
}
