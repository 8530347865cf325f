namespace GptLab.Inference;

/// <summary>One entry of <see cref="Generator.NextTokens"/>: a token, its text and probability.</summary>
public sealed record TokenProbability(int Id, string Text, double Probability);
