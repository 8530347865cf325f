using GptLab.Checkpoints;
using GptLab.Runs;

namespace GptLab.Tests.Training;

/// <summary>Data-parallel training on real Open MPI (mpirun -np 2 on this machine).</summary>
public class MpiTests
{
    private static string[] Tiny(string data, string outDir, int iters, bool overlap = true) =>
    [
        "train", "--data", data, "--out", outDir, "--set", $"ddp_overlap={(overlap ? "true" : "false")}", "--set", "n_layer=1", "--set", "n_head=2", "--set", "n_embd=16", "--set", "block_size=16",
        "--set", "batch_size=4", "--set", "eval_iters=2", "--set", "eval_interval=5", "--set", "sample_tokens=0", "--set", $"max_iters={iters}",
        "--set", "log_interval=1", "--set", "peak_flops=1e11", "--set", "gradient_accumulation_steps=2", "--set", "warmup_iters=0",
        "--set", $"lr_decay_iters={20}", "--samples", "0", "--threads", "1",
    ];

    private static List<double> Losses(string run, string kind = "train") =>
        new RunDirectory(run).ReadMetrics().Where(m => m.Kind == kind).Select(m => kind == "train" ? m.Loss!.Value : m.ValLoss!.Value).ToList();

    private static void AssertClose(IReadOnlyList<double> expected, IReadOnlyList<double> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5 * Math.Abs(expected[i]), $"step {i + 1}: {expected[i]} vs {actual[i]}");
    }

    [Theory]
    [InlineData(true)]    // gradients sent while backward runs
    [InlineData(false)]   // sent after it
    public void Two_ranks_draw_the_loss_curve_of_one_process_accumulating_over_both(bool overlap)
    {
        using var dir = new TempDir();
        string data = GptLab.Tests.Tiny.CharDataset(dir, 8000);
        var mpi = GptLabProcess.RunMpi(dir.Path, 2, Tiny(data, "mpi", 20, overlap));
        Assert.True(mpi.Exit == 0, mpi.Err + mpi.Out);
        var one = GptLabProcess.Run(dir.Path, Tiny(data, "one", 20));
        Assert.True(one.Exit == 0, one.Err);
        AssertClose(Losses(dir["one"]), Losses(dir["mpi"]));
        AssertClose(Losses(dir["one"], "eval"), Losses(dir["mpi"], "eval"));
        Assert.All(new RunDirectory(dir["mpi"]).ReadMetrics().Where(m => m.Kind == "train"), m => Assert.Equal(2, m.WorldSize));
        Assert.Single(mpi.Out.Split('\n'), l => l.StartsWith("finished", StringComparison.Ordinal));   // rank 0 alone prints
    }

    [Fact]
    public void Under_mpirun_notes_print_once_and_a_command_that_is_not_data_parallel_runs_on_rank_zero_alone()
    {
        using var dir = new TempDir();
        string data = GptLab.Tests.Tiny.CharDataset(dir, 8000);
        // max_iters without lr_decay_iters: the schedule is fitted to it and a note says so — once, from rank 0
        var train = GptLabProcess.RunMpi(dir.Path, 2, "train", "--data", data, "--out", "r", "--set", "n_layer=1", "--set", "n_head=2", "--set", "n_embd=16",
            "--set", "block_size=16", "--set", "batch_size=4", "--set", "eval_iters=1", "--set", "eval_interval=3", "--set", "max_iters=6",
            "--set", "peak_flops=1e11", "--set", "gradient_accumulation_steps=2", "--samples", "0", "--threads", "1");
        Assert.True(train.Exit == 0, train.Err + train.Out);
        Assert.Single(train.Out.Split('\n'), l => l.Contains("differs from the preset", StringComparison.Ordinal));
        Assert.Single(train.Out.Split('\n'), l => l.StartsWith("finished", StringComparison.Ordinal));
        string[] sample = ["sample", "--run", "r", "--max-new-tokens", "40", "--seed", "3", "--threads", "1"];
        var mpi = GptLabProcess.RunMpi(dir.Path, 2, sample);
        var one = GptLabProcess.Run(dir.Path, sample);
        Assert.True(mpi.Exit == 0, mpi.Err + mpi.Out);
        Assert.Equal(one.Out, mpi.Out);                                                   // the sample once, not once per rank
    }

    [Fact]
    public void A_run_stopped_under_mpi_resumes_on_the_same_curve()
    {
        using var dir = new TempDir();
        string data = GptLab.Tests.Tiny.CharDataset(dir, 8000);
        Assert.Equal(0, GptLabProcess.RunMpi(dir.Path, 2, Tiny(data, "mpi", 10)).Exit);
        var more = GptLabProcess.RunMpi(dir.Path, 2, "train", "--resume", "mpi", "--set", "max_iters=20", "--samples", "0");
        Assert.True(more.Exit == 0, more.Err + more.Out);
        Assert.Equal(0, GptLabProcess.Run(dir.Path, Tiny(data, "whole", 20)).Exit);
        AssertClose(Losses(dir["whole"]), Losses(dir["mpi"]));
    }

    [Fact]
    public async Task A_killed_rank_ends_the_job_with_an_error_and_leaves_the_checkpoint_good()
    {
        using var dir = new TempDir();
        string data = GptLab.Tests.Tiny.CharDataset(dir, 8000);
        var args = Tiny(data, "long", 100000);
        using var job = GptLabProcess.StartMpi(dir.Path, 2, args);
        var output = job.StandardOutput.ReadToEndAsync();
        var errors = job.StandardError.ReadToEndAsync();
        var run = new RunDirectory(dir["long"]);
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (!CheckpointStore.Exists(run.LastCheckpoint) && DateTime.UtcNow < deadline) await Task.Delay(50);
        int rank1 = RankPid(1, dir["long"]);
        System.Diagnostics.Process.GetProcessById(rank1).Kill();   // SIGKILL one rank mid-training
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await job.WaitForExitAsync(cts.Token);                     // the job ends; nobody hangs in an allreduce
        Assert.NotEqual(0, job.ExitCode);
        Assert.True(CheckpointStore.Exists(run.LastCheckpoint));
        using var ck = CheckpointStore.Load(run.LastCheckpoint);   // loads: not half-written
        Assert.True(ck.Manifest.Step > 0);
        _ = await output + await errors;
    }

    /// <summary>The pid of the gptlab process of <paramref name="rank"/> training into <paramref name="outDir"/>.</summary>
    private static int RankPid(int rank, string outDir)
    {
        foreach (var d in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(d), out int pid)) continue;
            try
            {
                string env = File.ReadAllText(Path.Combine(d, "environ"));
                string cmd = File.ReadAllText(Path.Combine(d, "cmdline"));
                if (env.Contains($"OMPI_COMM_WORLD_RANK={rank}\0", StringComparison.Ordinal) && cmd.Contains("gptlab.dll", StringComparison.Ordinal)
                    && cmd.Contains(Path.GetFileName(outDir), StringComparison.Ordinal)) return pid;
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        throw new InvalidOperationException($"no rank {rank} process found");
    }
}
