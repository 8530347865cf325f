namespace GptLab.Sweeps;

/// <summary>An intermediate value a trial reported: the validation NLL of a configuration at a step (in a phase).</summary>
public sealed record TrialEval(int ConfigId, int Phase, int Step, double ValNll);
