namespace GptLab.Sweeps;

/// <summary>
/// A sweep's pruner, from the spec's <c>pruner</c> object: <c>{"type": "median", "n_startup_trials": 5,
/// "n_warmup_steps": 0}</c> or <c>{"type": "asha", "min_iters": 100, "reduction_factor": 3}</c>. It judges the
/// intermediate values the workers already report (the validation NLL at each evaluation; lower is better).
/// </summary>
public sealed record PrunerSpec(PrunerKind Kind, int NStartupTrials = 5, int NWarmupSteps = 0, int MinIters = 100, double ReductionFactor = 3)
{
    public static readonly PrunerSpec None = new(PrunerKind.None);

    /// <summary>ASHA's rungs: min_iters · η^k.</summary>
    public IEnumerable<int> Rungs(int maxIters)
    {
        for (double r = MinIters; r <= maxIters; r *= ReductionFactor) yield return (int)Math.Round(r);
    }
}
