using System.Diagnostics;
using System.Runtime.CompilerServices;
using GptLab.Data;
using GptLab.Training;

[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]

namespace GptLab.Tests;

internal static class TestInit
{
    [ModuleInitializer]
    internal static void Init()
    {
        Environment.SetEnvironmentVariable("CI", "1");   // plain output from subprocesses
        TorchRuntime.Initialize(1);
    }
}

/// <summary>A temporary folder deleted after the test.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir() => Path = Directory.CreateTempSubdirectory("gptlab-test-").FullName;
    public string Path { get; }
    public string this[string relative] => System.IO.Path.Combine(Path, relative);
    public void Dispose()
    {
        try { Directory.Delete(Path, true); } catch (IOException) { }
    }
}

/// <summary>Small real data and configs for tests.</summary>
public static class Tiny
{
    public static string ShakespeareText(int chars)
    {
        using var r = new StreamReader(CorpusSource.OpenShakespeare());
        var buf = new char[chars];
        int n = r.ReadBlock(buf, 0, chars);
        return new string(buf, 0, n);
    }

    /// <summary>Prepares a character-level dataset from the first <paramref name="chars"/> characters of Tiny Shakespeare.</summary>
    public static string CharDataset(TempDir dir, int chars = 20000, string name = "data")
    {
        string txt = dir[$"{name}.txt"];
        File.WriteAllText(txt, ShakespeareText(chars));
        string outDir = dir[name];
        DatasetPreparer.Prepare(new PrepareOptions { Source = CorpusSource.FromPath(txt, null), OutDir = outDir, Tokenizer = "char", Name = name });
        return outDir;
    }

    /// <summary>`--set` flags of a tiny model for the command line (2 layers, 16 wide, one thread, every step logged),
    /// then <paramref name="more"/> (each "key=value").</summary>
    public static string[] CliSets(params string[] more) =>
    [
        .. new[] { "n_layer=2", "n_head=2", "n_embd=16", "block_size=16", "batch_size=4", "eval_iters=2", "sample_tokens=8", "threads=1", "log_interval=1" }
            .Concat(more).SelectMany(kv => new[] { "--set", kv }),
    ];

    public static TrainConfig Config(string dataset, int maxIters = 10) => new()
    {
        Dataset = dataset, NLayer = 2, NHead = 2, NEmbd = 16, BlockSize = 16, BatchSize = 4, MaxIters = maxIters,
        EvalInterval = 5, EvalIters = 2, LogInterval = 1, WarmupIters = 2, LrDecayIters = maxIters, LearningRate = 1e-2, MinLr = 1e-3,
        SampleTokens = 16, Threads = 1, PeakFlops = 1e11, Seed = 7,
    };
}

/// <summary>Runs the real gptlab program (built beside the tests) as a child process.</summary>
public static class GptLabProcess
{
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "gptlab.dll");

    public static Process Start(string workDir, params string[] args) => Start(workDir, args, []);

    private static readonly bool RestoresSigint = CanRestoreSigint();

    private static bool CanRestoreSigint()
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo("env", ["--default-signal=INT", "true"]) { UseShellExecute = false, RedirectStandardError = true })!;
            p.WaitForExit();
            return p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception) { return false; }
    }

    /// <summary>As <see cref="Start(string, string[])"/>, with standard input to write to.</summary>
    public static Process StartWithInput(string workDir, string[] args) => Start(workDir, args, [], redirectInput: true);

    public static Process Start(string workDir, string[] args, Dictionary<string, string> env, bool redirectInput = false)
    {
        // A suite started in the background (`./test.sh &`) runs with SIGINT ignored, and every child inherits that
        // (.NET then leaves SIGINT alone, as shells expect of background jobs); coreutils' env restores the default
        // so that gptlab sees Ctrl+C as it does in a terminal.
        var psi = new ProcessStartInfo(RestoresSigint ? "env" : "dotnet") { WorkingDirectory = workDir, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = redirectInput, UseShellExecute = false };
        if (RestoresSigint) foreach (var a in new[] { "--default-signal=INT", "dotnet" }) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add(Dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["CI"] = "1";
        psi.Environment["GPTLAB_CACHE"] = Path.Combine(workDir, ".cache");
        foreach (var (k, v) in env) psi.Environment[k] = v;
        return Process.Start(psi)!;
    }

    /// <summary>`mpirun -np N dotnet gptlab.dll …` (Open MPI, as root in CI: --allow-run-as-root --oversubscribe).</summary>
    public static Process StartMpi(string workDir, int ranks, params string[] args)
    {
        string mpirun = ToolPaths.OnPath("mpirun") ?? throw new InvalidOperationException("these tests need Open MPI's mpirun: ./test.sh installs it (apt-get install openmpi-bin)");
        var psi = new ProcessStartInfo(mpirun) { WorkingDirectory = workDir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "--allow-run-as-root", "--oversubscribe", "-np", ranks.ToString(), "-x", "TERM=dumb", "-x", "CI=1", "dotnet", Dll }) psi.ArgumentList.Add(a);
        foreach (var a in args) psi.ArgumentList.Add(a);
        return Process.Start(psi)!;
    }

    public static (int Exit, string Out, string Err) RunMpi(string workDir, int ranks, params string[] args)
    {
        using var p = StartMpi(workDir, ranks, args);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(3))) { p.Kill(true); throw new TimeoutException($"mpirun gptlab {string.Join(' ', args)} did not finish"); }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    public static (int Exit, string Out, string Err) Run(string workDir, params string[] args)
    {
        using var p = Start(workDir, args);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(3))) { p.Kill(true); throw new TimeoutException($"gptlab {string.Join(' ', args)} did not finish"); }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
