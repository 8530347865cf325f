namespace GptLab.Sweeps;

/// <summary>What a sweep ranks trials by (spec key <c>metric</c>); all are measured on the validation split.</summary>
public enum SweepMetric
{
    ValNll,        // val_nll: the validation NLL (cross-entropy per token), whatever loss trained the model
    ValLoss,       // val_loss: the validation loss in the run's own training loss (mse, squentropy …)
    Perplexity,    // perplexity: exp(val NLL)
    NatsPerChar,   // nats_per_char: val NLL × val tokens / val characters (compares tokenizers)
}
