using System.Diagnostics;
using GptLab.Data;
using GptLab.IO;
using GptLab.Runs;

namespace GptLab.Baselines;

/// <summary>
/// `gptlab baseline ngram`: Kneser–Ney models of orders 1…N counted on the training split and scored on the whole
/// validation split — every token from the second on, each given up to N−1 tokens before it in the split — in nats per
/// token, perplexity and nats/bits per character, as `gptlab eval` reports a GPT. Results are cached in the dataset
/// folder so reports and the dashboard can draw them beside runs.
/// </summary>
public static class NGramBaseline
{
    public static IReadOnlyList<NGramScore> Run(Dataset data, int maxOrder, IProgress<string>? progress = null)
    {
        var scores = new List<NGramScore>();
        for (int order = 1; order <= maxOrder; order++)
        {
            var sw = Stopwatch.StartNew();
            var lm = KneserNey.Train(data.Train, order, data.Tokenizer.VocabSize);
            double counting = sw.Elapsed.TotalSeconds;
            double sum = Score(lm, data.Val);
            long scored = data.Val.Count - 1;
            long chars = data.Meta.Val.Chars;
            scores.Add(new NGramScore
            {
                Order = order, Nll = sum / scored, Perplexity = Math.Exp(sum / scored), NatsPerChar = chars > 0 ? sum / chars : double.NaN,
                BitsPerChar = chars > 0 ? sum / chars / Math.Log(2) : double.NaN, Ngrams = lm.Sizes[^1], CountSeconds = counting,
                Discounts = lm.Discounts[^1],
            });
            progress?.Report($"order {order}: val NLL {sum / scored:0.0000} ({lm.Sizes[^1]:N0} distinct {order}-grams, {sw.Elapsed.TotalSeconds:0.0} s)");
        }
        Save(data, scores);
        return scores;
    }

    /// <summary>Summed −log p over tokens 1…n−1 of <paramref name="split"/>.</summary>
    public static double Score(KneserNey lm, TokenShard split)
    {
        if (split.Count < 2) throw new GptLabException($"{split.Path} has fewer than 2 tokens");
        int keep = lm.Order - 1;
        var context = new int[keep];   // the last Order−1 tokens, oldest first
        int have = 0;
        var buf = new int[1 << 16];
        double sum = 0;
        long pos = 0;
        for (long start = 0; start < split.Count; start += buf.Length)
        {
            int len = (int)Math.Min(buf.Length, split.Count - start);
            split.CopyTo(start, buf.AsSpan(0, len));
            for (int i = 0; i < len; i++, pos++)
            {
                int t = buf[i];
                if (pos > 0) sum -= Math.Log(lm.Probability(context.AsSpan(0, have), t));
                if (keep == 0) continue;
                if (have < keep) context[have++] = t;
                else
                {
                    Array.Copy(context, 1, context, 0, keep - 1);
                    context[keep - 1] = t;
                }
            }
        }
        return sum;
    }

    private static void Save(Dataset data, List<NGramScore> scores) =>
        Json.Write(Path.Combine(data.Directory, BaselineFile.FileName), new BaselineFile
        {
            DataFingerprint = data.Meta.Fingerprint, MetaSha256 = BaselineFile.MetaSha256Of(data.Directory), Ngram = scores,
        });
}
