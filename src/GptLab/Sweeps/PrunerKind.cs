namespace GptLab.Sweeps;

/// <summary>How a sweep stops hopeless trials early (spec key <c>pruner.type</c>).</summary>
public enum PrunerKind
{
    None,     // none: every trial trains to its iterations
    Median,   // median: Optuna's MedianPruner
    Asha,     // asha: asynchronous successive halving (Optuna's SuccessiveHalvingPruner)
}
