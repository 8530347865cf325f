using GptLab.Data;
using GptLab.Losses;
using GptLab.Model;
using GptLab.Sampling;
using static TorchSharp.torch;

namespace GptLab.Evaluation;

/// <summary>What a window mode costs in quality: the NLL of a split read the way generation would see it.</summary>
public sealed record WindowedResult(WindowMode Window, int Keep, long Tokens, double Nll, double Perplexity, double BitsPerToken);

/// <summary>
/// Scores a split token by token through the same <see cref="ContextWindow"/> generation uses (teacher forcing): each
/// token is predicted from exactly the context slide, jump or rolling would give it, so the NLLs of the three modes
/// compare what each costs. The split is cut into <c>rows</c> contiguous streams scored side by side.
/// </summary>
public static class WindowedEvaluator
{
    public static WindowedResult Evaluate(Gpt model, TokenShard shard, int realVocab, WindowMode window, int? keep = null, long maxTokens = 0, int rows = 8)
    {
        long n = maxTokens > 0 ? Math.Min(maxTokens, shard.Count) : shard.Count;
        rows = (int)Math.Max(1, Math.Min(rows, n / 2));
        long length = n / rows;
        if (length < 2) throw new GptLabException($"the split has {shard.Count:N0} tokens: too few to score");
        bool wasTraining = model.training;
        model.eval();
        using var _ = no_grad();
        long[] Column(long j) => Enumerable.Range(0, rows).Select(r => (long)shard[r * length + j]).ToArray();
        double sum = 0;
        try
        {
            using var first = tensor(Column(0), [rows, 1], device: model.Device);
            using var context = new ContextWindow(model, first, window, useCache: true, keep);
            for (long j = 1; j < length; j++)
            {
                using var scope = NewDisposeScope();
                var logits = LossFunctions.RealVocab(context.Logits().unsqueeze(1), realVocab).squeeze(1);   // (rows, V)
                var target = tensor(Column(j), device: model.Device);
                sum += LossFunctions.TokenNll(logits, target).sum().item<float>();
                context.Push(target);
            }
        }
        finally
        {
            if (wasTraining) model.train();
        }
        long scored = rows * (length - 1);
        double nll = sum / scored;
        return new WindowedResult(window, keep ?? model.Config.BlockSize / 2, scored, nll, Math.Exp(nll), nll / Math.Log(2));
    }
}
