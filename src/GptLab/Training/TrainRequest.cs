namespace GptLab.Training;

/// <summary>The flags of <c>gptlab train</c>, as the library takes them (<see cref="TrainingSession.Open"/>).</summary>
public sealed record TrainRequest
{
    public string? Preset { get; init; }                     // a preset name (default shakespeare-char-cpu)
    public string? ConfigFile { get; init; }                 // or a JSON config file
    public IReadOnlyList<string> Sets { get; init; } = [];   // key=value overrides
    public string? OutDir { get; init; }                     // the run folder of a new run
    public string? ResumeDir { get; init; }                  // continue this run instead
}
