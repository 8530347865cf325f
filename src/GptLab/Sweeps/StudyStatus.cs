namespace GptLab.Sweeps;

/// <summary>Counts for `gptlab sweep status`: the current phase's trials by state, the best so far, the mean trial time.</summary>
public sealed record StudyStatus(int Done, int Running, int Queued, int Failed, int Phase, int Phases, Trial? Best, double? MeanTrialSeconds)
{
    /// <summary>Configurations (of phase 0) and trials (a configuration in a phase) in all.</summary>
    public int Configurations { get; init; }
    public int Trials { get; init; }

    /// <summary>The first error of a failed trial, if any.</summary>
    public string? FirstError { get; init; }

    /// <summary>Trials of the current phase the pruner stopped early.</summary>
    public int Pruned { get; init; }

    /// <summary>TPE: trials not yet sampled (max_trials minus those that exist).</summary>
    public int ToSample { get; init; }

    /// <summary>Trials still to train in this phase: queued, running and not yet sampled.</summary>
    public int Remaining => Queued + Running + ToSample;

    /// <summary>Seconds until the phase ends with <paramref name="workers"/> workers, from the mean trial time so far.</summary>
    public double? EtaSeconds(int workers) => MeanTrialSeconds is double m && Remaining > 0 ? m * Remaining / Math.Max(1, workers) : null;

    /// <summary>Nothing is queued, running or left to sample: nothing is left to do (promotions happen as a phase ends).</summary>
    public bool Finished => Queued == 0 && Running == 0 && ToSample == 0;

    public static StudyStatus Of(IReadOnlyList<Trial> all, SweepSpec spec)
    {
        int phase = all.Count == 0 ? 0 : all.Max(t => t.Phase);
        var current = all.Where(t => t.Phase == phase).ToList();
        var best = all.Where(t => t.Status == "done" && t.Metric is not null)
            .OrderByDescending(t => t.Phase).ThenBy(t => spec.Minimize ? t.Metric!.Value : -t.Metric!.Value).FirstOrDefault();
        var walls = all.Where(t => t.WallS is not null).Select(t => t.WallS!.Value).ToList();
        return new StudyStatus(current.Count(t => t.Status == "done"), current.Count(t => t.Status == "running"), current.Count(t => t.Status == "queued"),
            current.Count(t => t.Status == "failed"), phase, spec.Phases.Count, best, walls.Count > 0 ? walls.Average() : null)
        {
            Configurations = all.Count(t => t.Phase == 0), Trials = all.Count,
            FirstError = all.Where(t => t.Status == "failed" && t.Error is not null).OrderBy(t => t.Id).FirstOrDefault()?.Error,
            Pruned = current.Count(t => t.Status == "pruned"),
            ToSample = spec.Method == SweepMethod.Tpe && spec.MaxTrials is int max ? Math.Max(0, max - all.Count) : 0,
        };
    }
}
