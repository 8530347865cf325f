namespace GptLab.Sweeps;

/// <summary>Counts for `gptlab sweep status`: the current phase's trials by state, the best so far, the mean trial time.</summary>
public sealed record StudyStatus(int Done, int Running, int Queued, int Failed, int Phase, int Phases, Trial? Best, double? MeanTrialSeconds)
{
    /// <summary>Configurations (of phase 0) and trials (a configuration in a phase) in all.</summary>
    public int Configurations { get; init; }
    public int Trials { get; init; }

    /// <summary>The first error of a failed trial, if any.</summary>
    public string? FirstError { get; init; }

    /// <summary>No trial is queued or running: nothing is left to do (promotions happen as a phase ends).</summary>
    public bool Finished => Queued == 0 && Running == 0;

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
        };
    }
}
