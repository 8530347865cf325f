using GptLab.Data;
using GptLab.Runs;
using GptLab.Training;

namespace GptLab.Tests;

/// <summary>A tiny run trained once and shared by the tests of one class (sample, predict, eval, report).</summary>
public sealed class TrainedRun : IDisposable
{
    public TrainedRun()
    {
        Dir = new TempDir();
        DataDir = Tiny.CharDataset(Dir, 20000);
        using var data = Dataset.Open(DataDir);
        Run = new RunDirectory(Dir["runs/tiny"]);
        Run.Create();
        Config = Tiny.Config(DataDir, 20);
        IO.Json.Write(Run.ConfigPath, Config);
        using var trainer = new Trainer(Config, data, Run);
        trainer.Run([]);
    }

    public TempDir Dir { get; }
    public string DataDir { get; }
    public RunDirectory Run { get; }
    public TrainConfig Config { get; }

    public void Dispose() => Dir.Dispose();
}
