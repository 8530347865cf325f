using System.Text.Json.Nodes;

namespace GptLab.Sweeps;

/// <summary>A sweep spec file as written (JSON or YAML, snake_case keys), before it is checked and expanded.</summary>
internal sealed record SweepSpecDocument
{
    public string? Preset { get; init; }
    public string? Data { get; init; }
    public SweepMethod Method { get; init; } = SweepMethod.Grid;
    public SweepMetric Metric { get; init; } = SweepMetric.ValNll;
    public List<string>? Metrics { get; init; }
    public SweepDirection Direction { get; init; } = SweepDirection.Minimize;
    public JsonObject? Fixed { get; init; }
    public JsonObject? Parameters { get; init; }
    public List<string>? Constraints { get; init; }
    public int? MaxTrials { get; init; }
    public int Seed { get; init; }
    public int Workers { get; init; } = 1;
    public List<PhaseDocument>? Phases { get; init; }
    public double? ReductionFactor { get; init; }
    public int? MinIters { get; init; }
    public int? MaxIters { get; init; }
    public double HeartbeatTimeout { get; init; } = 60;
    public int MaxAttempts { get; init; } = 3;
    public int? NStartupTrials { get; init; }
    public int? NEiCandidates { get; init; }
    public bool ConstantLiar { get; init; }
    public PrunerDocument? Pruner { get; init; }

    /// <summary>The <c>pruner</c> object.</summary>
    internal sealed record PrunerDocument
    {
        public string? Type { get; init; }
        public int? NStartupTrials { get; init; }
        public int? NWarmupSteps { get; init; }
        public int? MinIters { get; init; }
        public double? ReductionFactor { get; init; }
    }

    /// <summary>One entry of <c>phases</c>.</summary>
    internal sealed record PhaseDocument
    {
        public int? MaxIters { get; init; }
        public int? Keep { get; init; }
        public double? KeepFraction { get; init; }
    }
}
