using GptLab.Data;

namespace GptLab.Training;

/// <summary>How a <see cref="TrainingSession"/> talks to its caller.</summary>
public sealed record SessionOptions
{
    public Action<string>? Log { get; init; }      // one-line notes: preparing data, resuming at step N
    public string? Source { get; init; }           // the preset or config file, recorded in preset.json
    public bool TensorBoard { get; init; }         // also write TensorBoard event files to <run>/tensorboard
    public Dataset? Dataset { get; init; }         // an open dataset to share (not disposed by the session)
    public Distributed.IGradientSync? Sync { get; init; }   // data parallelism; default: MPI when started by mpirun/srun
    public Runs.IWriteFence? Fence { get; init; }   // asked before every write into the run (a sweep trial's lease)
}
