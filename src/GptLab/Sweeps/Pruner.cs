namespace GptLab.Sweeps;

/// <summary>
/// The pruning rules, as Optuna states them, over the intermediate values in the study (so any worker on any machine
/// decides alike, needing nothing but the storage). Values are validation NLLs at evaluation steps: lower is better.
/// <list type="bullet">
/// <item><b>median</b> (<c>MedianPruner</c>): once <c>n_startup_trials</c> trials have finished (done or pruned) and the
/// step is at least <c>n_warmup_steps</c>, a trial is pruned when its best value so far is worse than the median of
/// the other trials' values at the same step.</item>
/// <item><b>asha</b> (<c>SuccessiveHalvingPruner</c>, asynchronous successive halving): rungs at min_iters · η^k. The
/// first evaluation at or past a rung is the trial's value there; it goes on only if that value is among the best
/// ⌊n/η⌋ (at least the best one) of the n trials that have reached that rung so far — decided at once, without
/// waiting for a phase to fill, so no worker idles at a boundary.</item>
/// </list>
/// </summary>
public static class Pruner
{
    /// <summary>Why the trial of <paramref name="configId"/> (in <paramref name="phase"/>) should stop after its
    /// evaluation at <paramref name="step"/>, or null to go on.</summary>
    public static string? Judge(PrunerSpec spec, int configId, int phase, int step, IReadOnlyList<TrialEval> evals, IReadOnlyList<Trial> trials)
    {
        if (spec.Kind == PrunerKind.None) return null;
        var mine = evals.Where(e => e.ConfigId == configId && e.Phase == phase && e.Step <= step).OrderBy(e => e.Step).ToList();
        var here = mine.LastOrDefault(e => e.Step == step);
        if (here is null || step <= 0) return null;
        var others = evals.Where(e => e.ConfigId != configId && e.Phase == phase).ToList();
        return spec.Kind == PrunerKind.Median ? Median(spec, mine, step, others, trials, phase) : Asha(spec, mine, here, others);
    }

    private static string? Median(PrunerSpec spec, List<TrialEval> mine, int step, List<TrialEval> others, IReadOnlyList<Trial> trials, int phase)
    {
        if (step < spec.NWarmupSteps) return null;
        int finished = trials.Count(t => t.Phase == phase && t.Status is "done" or "pruned");
        if (finished < spec.NStartupTrials) return null;
        var atStep = others.Where(e => e.Step == step).Select(e => e.ValNll).Where(double.IsFinite).Order().ToList();
        if (atStep.Count == 0) return null;
        double median = atStep.Count % 2 == 1 ? atStep[atStep.Count / 2] : (atStep[atStep.Count / 2 - 1] + atStep[atStep.Count / 2]) / 2;
        double best = mine.Min(e => e.ValNll);
        return best > median ? $"pruned at step {step:N0}: best val NLL {best:0.0000} is worse than the median {median:0.0000} of {atStep.Count} trial(s) at that step" : null;
    }

    private static string? Asha(PrunerSpec spec, List<TrialEval> mine, TrialEval here, List<TrialEval> others)
    {
        // the highest rung this evaluation is the trial's first one at or past
        int previous = mine.Count >= 2 ? mine[^2].Step : -1;
        int? rung = null;
        foreach (int r in spec.Rungs(here.Step))
            if (r > previous && r <= here.Step) rung = r;
        if (rung is not int at) return null;
        var competing = others.GroupBy(e => e.ConfigId).Select(g => g.Where(e => e.Step >= at).OrderBy(e => e.Step).FirstOrDefault())
            .OfType<TrialEval>().Select(e => e.ValNll).Where(double.IsFinite).Append(here.ValNll).Order().ToList();
        int keep = Math.Max(1, (int)(competing.Count / spec.ReductionFactor));
        double bar = competing[keep - 1];
        return here.ValNll > bar
            ? $"pruned at rung {at:N0} (step {here.Step:N0}): val NLL {here.ValNll:0.0000} is not among the best {keep} of {competing.Count} trial(s) there (≤ {bar:0.0000})"
            : null;
    }
}
