namespace GptLab.Inference;

/// <summary>How <see cref="Generator"/> picks each next token (gptlab sample's options).</summary>
public sealed record GenerationOptions
{
    public int MaxNewTokens { get; init; } = 500;
    public double Temperature { get; init; } = 0.8;   // 0 = greedy (argmax)
    public int TopK { get; init; } = 200;             // 0 = off
    public double TopP { get; init; } = 1.0;          // nucleus; 1 = off
    public long Seed { get; init; } = 1337;
    public bool StopAtEos { get; init; }              // end a sample at the end-of-text token
    public int? Keep { get; init; }                   // past block_size: tokens kept at each jump (default block_size / 2)

    /// <summary>Throws <see cref="InferenceException"/> naming the first option out of its range.</summary>
    internal void Check()
    {
        if (MaxNewTokens < 0) throw new InferenceException($"MaxNewTokens must be ≥ 0, got {MaxNewTokens}");
        if (!(Temperature >= 0)) throw new InferenceException($"Temperature must be ≥ 0 (0 = greedy), got {Temperature}");
        if (TopK < 0) throw new InferenceException($"TopK must be ≥ 0 (0 = off), got {TopK}");
        if (!(TopP > 0 && TopP <= 1)) throw new InferenceException($"TopP must be in (0, 1] (1 = off), got {TopP}");
    }
}
