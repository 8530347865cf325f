using System.Text.Json.Nodes;

namespace GptLab.Sweeps;

/// <summary>A trial row: one configuration in one phase.</summary>
public sealed record Trial
{
    public long Id { get; init; }
    public int ConfigId { get; init; }
    public TrialParams Params { get; init; } = new(new Dictionary<string, JsonNode?>());
    public int Phase { get; init; }
    public int Iters { get; init; }
    public string Status { get; init; } = "queued";    // queued | running | done | pruned | failed
    public string? Worker { get; init; }
    public int Attempts { get; init; }
    public long Lease { get; init; }                   // the claim's epoch: +1 on every claim, checked on every write of its holder
    public double? Metric { get; init; }
    public double? ValNll { get; init; }
    public double? WallS { get; init; }
    public double? TokensPerS { get; init; }
    public string? Error { get; init; }
}
