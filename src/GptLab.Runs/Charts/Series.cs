namespace GptLab.Runs.Charts;

/// <summary>One line of a chart.</summary>
internal sealed record Series(string Name, double[] X, double[] Y);
