using GptLab.Runs;

namespace GptLab.Training;

/// <summary>What a training run reports. The library never prints: the CLI renders, the run folder records, tests record.</summary>
public interface ITrainingObserver
{
    void OnStart(TrainingStart start) { }
    void OnStep(MetricRecord step) { }
    void OnEval(MetricRecord eval) { }
    void OnSample(SampleRecord sample) { }
    void OnCheckpoint(string kind, string path) { }
}

/// <summary>Facts about a run as it starts.</summary>
public sealed record TrainingStart(long Parameters, int StartStep, int MaxIters, long TokensPerIter, int Threads,
    string Dtype, double PeakFlops, int DecayTensors, long DecayParams, int NoDecayTensors, long NoDecayParams)
{
    /// <summary>The learning-rate schedule in words.</summary>
    public string Schedule { get; init; } = "";
}

/// <summary>How a run ended.</summary>
public enum TrainOutcome { Finished, Stopped }

public sealed record TrainResult(TrainOutcome Outcome, int Step, double BestValLoss, double? LastValLoss, double WallS);

/// <summary>Keeps everything it is told (tests; `gptlab compare` reads it back).</summary>
public sealed class RecordingObserver : ITrainingObserver
{
    public List<MetricRecord> Steps { get; } = [];
    public List<MetricRecord> Evals { get; } = [];
    public List<SampleRecord> Samples { get; } = [];
    public List<(string Kind, string Path)> Checkpoints { get; } = [];
    public TrainingStart? Start { get; private set; }

    public void OnStart(TrainingStart start) => Start = start;
    public void OnStep(MetricRecord step) => Steps.Add(step);
    public void OnEval(MetricRecord eval) => Evals.Add(eval);
    public void OnSample(SampleRecord sample) => Samples.Add(sample);
    public void OnCheckpoint(string kind, string path) => Checkpoints.Add((kind, path));
}
