namespace GptLab.Sweeps;

/// <summary>Whether a smaller or a larger metric is better (spec key <c>direction</c>).</summary>
public enum SweepDirection
{
    Minimize,
    Maximize,
}
