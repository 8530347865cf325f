using System.CommandLine;
using GptLab.Checkpoints;
using GptLab.Runs;

namespace GptLab.Cli;

/// <summary>--run / --checkpoint options shared by sample, predict and eval.</summary>
internal sealed class ModelLocator
{
    public Option<string?> Run { get; } = new("--run") { Description = "a run folder (uses its best checkpoint, else its last)" };
    public Option<string?> Checkpoint { get; } = new("--checkpoint") { Description = "a checkpoint folder, or best|last with --run" };
    public Option<int?> Threads { get; } = new Option<int?>("--threads") { Description = "intra-op threads (default: all cores)" }.AtLeast(1);

    public void AddTo(Command cmd)
    {
        cmd.Options.Add(Run);
        cmd.Options.Add(Checkpoint);
        cmd.Options.Add(Threads);
    }

    public string Resolve(ParseResult p)
    {
        string? run = p.GetValue(Run), ck = p.GetValue(Checkpoint);
        if (run == null && ck == null) throw new GptLabException("give --run runs/NAME or --checkpoint DIR");
        if (run != null)
        {
            var dir = new RunDirectory(run);
            if (!Directory.Exists(dir.Path)) throw new GptLabException($"{run}: no such run folder");
            if (ck is "best" or "last") return ck == "best" ? dir.BestCheckpoint : dir.LastCheckpoint;
            if (ck != null) throw new GptLabException("with --run, --checkpoint is best or last");
            return CheckpointStore.PreferredOf(dir);
        }
        return ck!;
    }

    public Checkpoint Load(ParseResult p)
    {
        string dir = Resolve(p);
        TorchRuntime.Initialize(p.GetValue(Threads) ?? Environment.ProcessorCount);
        return CheckpointStore.Load(dir);
    }
}
