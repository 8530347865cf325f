namespace GptLab.Runs;

/// <summary>One order's score on the validation split: the quantities `gptlab eval` reports.</summary>
public sealed record NGramScore
{
    public int Order { get; init; }
    public double Nll { get; init; }             // nats per token, mean over val tokens 1…n−1
    public double Perplexity { get; init; }
    public double NatsPerChar { get; init; }     // summed NLL / characters of the val text
    public double BitsPerChar { get; init; }
    public long Ngrams { get; init; }            // distinct n-grams of this order in the training split
    public double CountSeconds { get; init; }    // counting every order up to this one
    public double[] Discounts { get; init; } = [];
}
