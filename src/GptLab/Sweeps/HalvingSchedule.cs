namespace GptLab.Sweeps;

/// <summary>One phase: how long its trials train in total, and how many configurations of the previous phase go on
/// (<c>keep</c>, a count, or <c>keep_fraction</c>, rounded up and at least 1). Phase 0 runs every configuration.</summary>
public sealed record SweepPhase(int MaxIters, int? Keep = null, double? KeepFraction = null);

/// <summary>
/// The successive-halving schedule, in one place: the phases (given, or derived as Hyperband/Optuna do from a
/// reduction factor η: iterations × η per phase, keep 1/η), and how many configurations each phase keeps. Grid and
/// random sweeps have one phase.
/// </summary>
public sealed class HalvingSchedule
{
    public HalvingSchedule(IReadOnlyList<SweepPhase> phases)
    {
        if (phases.Count == 0) throw new GptLabException("sweep spec: halving needs phases");
        for (int i = 0; i < phases.Count; i++)
        {
            var p = phases[i];
            if (p.MaxIters < 1) throw new GptLabException($"sweep spec: phase {i + 1} needs max_iters ≥ 1");
            if (i > 0 && p.MaxIters <= phases[i - 1].MaxIters) throw new GptLabException("sweep spec: phases must train longer and longer (max_iters increasing)");
            if (p.Keep is < 1) throw new GptLabException($"sweep spec: phase {i + 1}: keep must be ≥ 1");
            if (p.KeepFraction is double f && !(f is > 0 and <= 1)) throw new GptLabException($"sweep spec: phase {i + 1}: keep_fraction must be in (0, 1]");
            if (p.Keep is not null && p.KeepFraction is not null) throw new GptLabException($"sweep spec: phase {i + 1}: give keep or keep_fraction, not both");
        }
        Phases = phases;
    }

    public IReadOnlyList<SweepPhase> Phases { get; }
    public int Count => Phases.Count;
    public int FinalIters => Phases[^1].MaxIters;

    /// <summary>One phase of <paramref name="iters"/> iterations (grid, random).</summary>
    public static HalvingSchedule Single(int iters) => new([new SweepPhase(iters)]);

    /// <summary>Phases from a reduction factor: min_iters × η^k up to max_iters, each keeping 1/η.</summary>
    public static HalvingSchedule FromReduction(double eta, int minIters, int maxIters)
    {
        if (eta <= 1 || minIters < 1 || maxIters < minIters)
            throw new GptLabException("sweep spec: halving needs reduction_factor > 1 and 1 ≤ min_iters ≤ max_iters");
        var phases = new List<SweepPhase>();
        for (int k = 0; ; k++)
        {
            int iters = (int)Math.Min(maxIters, Math.Round(minIters * Math.Pow(eta, k)));
            phases.Add(new SweepPhase(iters, null, k == 0 ? null : 1 / eta));
            if (iters >= maxIters) break;
        }
        return new HalvingSchedule(phases);
    }

    /// <summary>How many of <paramref name="previous"/> configurations phase <paramref name="phase"/> keeps.</summary>
    public int Keep(int phase, int previous)
    {
        var p = Phases[phase];
        if (phase == 0) return previous;
        if (p.Keep is int k) return Math.Min(k, previous);
        if (p.KeepFraction is double f) return Math.Max(1, (int)Math.Ceiling(previous * f - 1e-9));
        return previous;
    }
}
