namespace GptLab.Sweeps;

/// <summary>
/// Two objectives, both minimised: the sweep's metric (val NLL) and training time. A trial is on the Pareto front
/// when no other trial is at least as good on both and better on one. And the trade-offs a user picks from it.
/// </summary>
public static class ParetoFront
{
    /// <summary>The finished trials (metric and time known) on the front, fastest first.</summary>
    public static IReadOnlyList<Trial> Of(IEnumerable<Trial> trials, bool minimize = true)
    {
        var done = trials.Where(t => t.Status == "done" && t.Metric is double m && double.IsFinite(m) && t.WallS is double w && double.IsFinite(w)).ToList();
        double M(Trial t) => minimize ? t.Metric!.Value : -t.Metric!.Value;
        bool Dominates(Trial a, Trial b) => M(a) <= M(b) && a.WallS <= b.WallS && (M(a) < M(b) || a.WallS < b.WallS);
        return [.. done.Where(t => !done.Any(o => !ReferenceEquals(o, t) && Dominates(o, t))).OrderBy(t => t.WallS).ThenBy(M)];
    }

    /// <summary>The fastest finished trial whose metric is within <paramref name="delta"/> of the best (a trade-off:
    /// "almost as good, much cheaper"); null when none is finished.</summary>
    public static Trial? FastestWithin(IEnumerable<Trial> trials, double delta, bool minimize = true)
    {
        var front = Of(trials, minimize);
        if (front.Count == 0) return null;
        double best = minimize ? front.Min(t => t.Metric!.Value) : front.Max(t => t.Metric!.Value);
        return front.Where(t => minimize ? t.Metric <= best + delta : t.Metric >= best - delta).OrderBy(t => t.WallS).First();
    }
}
