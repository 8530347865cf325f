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
}

/// <summary>One entry of <see cref="Generator.NextTokens"/>: a token, its text and probability.</summary>
public sealed record TokenProbability(int Id, string Text, double Probability);
