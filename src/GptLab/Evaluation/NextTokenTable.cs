using GptLab.Model;
using GptLab.Tokenizers;
using static TorchSharp.torch;

namespace GptLab.Evaluation;

/// <summary>One candidate next token.</summary>
public sealed record TokenProbability(int Id, string Text, double Probability);

/// <summary>The model's view at one position of the prompt.</summary>
public sealed record PositionPrediction
{
    public int Position { get; init; }
    public string Context { get; init; } = "";          // the prompt up to and including this position
    public IReadOnlyList<TokenProbability> Top { get; init; } = [];
    public TokenProbability? Actual { get; init; }      // the token that really came next (null at the end)
    public int? ActualRank { get; init; }               // its rank, 1 = the model's first choice
}

/// <summary>The next-token distribution of a model for a prompt: the top-N tokens with probabilities, at the end of
/// the prompt or at every position (with where the real next token ranked).</summary>
public static class NextTokenTable
{
    public static IReadOnlyList<PositionPrediction> Predict(Gpt model, ITokenizer tokenizer, int[] ids, int top, bool allPositions)
    {
        if (ids.Length == 0) throw new GptLabException("the prompt is empty");
        int block = model.Config.BlockSize;
        int offset = Math.Max(0, ids.Length - block);
        var window = ids[offset..];
        model.eval();
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var logits = model.forward(tensor(window.Select(i => (long)i).ToArray(), [1, window.Length], device: model.Device))[0];   // (T, V)
        logits = Losses.LossFunctions.RealVocab(logits, tokenizer.VocabSize);
        var probs = nn.functional.softmax(logits, 1);
        var (values, indices) = probs.topk(Math.Min(top, tokenizer.VocabSize), 1);
        var result = new List<PositionPrediction>();
        int first = allPositions ? 0 : window.Length - 1;
        for (int t = first; t < window.Length; t++)
        {
            var v = values[t].data<float>().ToArray();
            var ix = indices[t].data<long>().ToArray();
            var row = ix.Select((id, k) => new TokenProbability((int)id, tokenizer.Decode([(int)id]), v[k])).ToList();
            TokenProbability? actual = null;
            int? rank = null;
            if (t + 1 < window.Length)
            {
                int next = window[t + 1];
                double p = probs[t, next].item<float>();
                actual = new TokenProbability(next, tokenizer.Decode([next]), p);
                rank = 1 + (int)probs[t].gt(p).sum().item<long>();
            }
            result.Add(new PositionPrediction
            {
                Position = offset + t, Context = tokenizer.Decode(window.AsSpan(0, t + 1)), Top = row, Actual = actual, ActualRank = rank,
            });
        }
        return result;
    }
}
