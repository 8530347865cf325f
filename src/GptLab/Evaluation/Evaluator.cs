using GptLab.Data;
using GptLab.Losses;
using GptLab.Model;
using GptLab.Tokenizers;
using static TorchSharp.torch;

namespace GptLab.Evaluation;

/// <summary>A document's score in an evaluation.</summary>
public sealed record DocumentScore(int Index, long Tokens, double Nll, double Perplexity, string Text);

/// <summary>What `gptlab eval` reports. Always token cross-entropy (NLL), whatever loss trained the model.</summary>
public sealed record EvalResult
{
    public double Nll { get; init; }              // mean nats per token
    public double Perplexity { get; init; }       // exp(nll)
    public double BitsPerToken { get; init; }
    public double NatsPerChar { get; init; }      // summed NLL / characters of the split's text
    public double BitsPerChar { get; init; }
    public double NatsPerByte { get; init; }      // summed NLL / UTF-8 bytes of the split's text
    public double Accuracy { get; init; }         // top-1 next-token accuracy
    public long Tokens { get; init; }             // tokens scored
    public int Documents { get; init; }
    public double DocPerplexityMean { get; init; }
    public double DocPerplexityMedian { get; init; }
    public IReadOnlyList<DocumentScore> WorstDocuments { get; init; } = [];
    public string Split { get; init; } = "val";
    public int Stride { get; init; }
}

/// <summary>
/// Scores a whole split deterministically: non-overlapping windows of block_size (every token once), or with a
/// stride, sliding windows where each token is scored once with up to block_size − stride tokens of extra context.
/// </summary>
public static class Evaluator
{
    /// <summary>Scores a batch of windows: <paramref name="ids"/> (rows, len + 1) → each target's NLL and whether it was
    /// the top-1 token, (rows, len), over the tokenizer's real vocabulary.</summary>
    public delegate (float[] Nll, bool[] Hit) WindowScorer(long[] ids, int rows, int len);

    public static EvalResult Evaluate(Gpt model, ITokenizer tokenizer, TokenShard shard, long chars, long bytes,
        int? stride = null, int batchSize = 8, string split = "val", IProgress<double>? progress = null)
    {
        model.eval();
        using var _ = no_grad();
        return Evaluate((ids, rows, len) =>
        {
            using var scope = NewDisposeScope();
            var x = tensor(ids, [rows, len + 1], device: model.Device);
            var logits = LossFunctions.RealVocab(model.forward(x.narrow(1, 0, len)), tokenizer.VocabSize);   // (b, len, V)
            var y = x.narrow(1, 1, len);
            return (LossFunctions.TokenNll(logits, y).view(rows, len).data<float>().ToArray(), logits.argmax(2).eq(y).data<bool>().ToArray());
        }, model.Config.BlockSize, tokenizer, shard, chars, bytes, stride, batchSize, split, progress);
    }

    /// <summary>Scores logits computed elsewhere (the ONNX engine): (rows, len, V) → NLL and top-1 hits of each target
    /// over the first <paramref name="vocab"/> logits, in float64.</summary>
    public static (float[] Nll, bool[] Hit) Score(float[] logits, long[] ids, int rows, int len, int V, int vocab)
    {
        var nll = new float[rows * len];
        var hit = new bool[rows * len];
        for (int r = 0; r < rows; r++)
            for (int t = 0; t < len; t++)
            {
                var row = logits.AsSpan((r * len + t) * V, vocab);
                int best = 0;
                for (int i = 1; i < row.Length; i++) if (row[i] > row[best]) best = i;
                double z = 0;
                foreach (var l in row) z += Math.Exp(l - row[best]);
                int target = (int)ids[r * (len + 1) + t + 1];
                nll[r * len + t] = (float)(Math.Log(z) + row[best] - row[target]);
                hit[r * len + t] = best == target;
            }
        return (nll, hit);
    }

    public static EvalResult Evaluate(WindowScorer score, int blockSize, ITokenizer tokenizer, TokenShard shard, long chars, long bytes,
        int? stride = null, int batchSize = 8, string split = "val", IProgress<double>? progress = null)
    {
        int T = blockSize;
        int s = stride ?? T;
        if (s < 1 || s > T) throw new GptLabException($"--stride must be between 1 and block_size ({T}), got {s}");
        long n = shard.Count;
        if (n < 2) throw new GptLabException($"the {split} split has fewer than 2 tokens");
        var nll = new float[n];             // nll[i] = −log p(token i | before), i ≥ 1
        var correct = new bool[n];
        // A window reads tokens [start, start+len] and predicts targets start+1 … start+len; it scores only the
        // targets not scored by an earlier window (index First on), so every target is scored exactly once.
        var windows = new List<(long Start, int Len, int First)>();
        long scoredUpTo = 0;
        for (long start = 0; scoredUpTo < n - 1; start += s)
        {
            int len = (int)Math.Min(T, n - 1 - start);
            if (len <= 0) break;
            int first = (int)Math.Max(0, scoredUpTo - start);
            if (first < len) windows.Add((start, len, first));
            scoredUpTo = start + len;
        }
        var buf = new int[T + 1];
        for (int w = 0; w < windows.Count; w += batchSize)
        {
            var group = windows.Skip(w).Take(batchSize).GroupBy(x => x.Len);   // equal lengths batch together
            foreach (var g in group)
            {
                var items = g.ToArray();
                int len = items[0].Len;
                var ids = new long[items.Length * (len + 1)];
                for (int i = 0; i < items.Length; i++)
                {
                    shard.CopyTo(items[i].Start, buf.AsSpan(0, len + 1));
                    for (int t = 0; t <= len; t++) ids[i * (len + 1) + t] = buf[t];
                }
                var (tokNll, hit) = score(ids, items.Length, len);
                for (int i = 0; i < items.Length; i++)
                    for (int t = items[i].First; t < len; t++)
                    {
                        long pos = items[i].Start + 1 + t;
                        nll[pos] = tokNll[i * len + t];
                        correct[pos] = hit[i * len + t];
                    }
            }
            progress?.Report((double)Math.Min(windows.Count, w + batchSize) / windows.Count);
        }
        double sum = 0;
        long hits = 0;
        for (long i = 1; i < n; i++) { sum += nll[i]; if (correct[i]) hits++; }
        long scored = n - 1;
        double mean = sum / scored;
        if (chars <= 0 || bytes <= 0)
        {
            string text = tokenizer.Decode(shard.ReadAll().Where(t => t != tokenizer.EosId).ToArray());
            chars = DatasetPreparer.CountCodePoints(text);
            bytes = System.Text.Encoding.UTF8.GetByteCount(text);
        }
        var docs = Documents(shard, tokenizer, nll);
        var ppls = docs.Select(d => d.Perplexity).Order().ToArray();
        return new EvalResult
        {
            Nll = mean, Perplexity = Math.Exp(mean), BitsPerToken = mean / Math.Log(2),
            NatsPerChar = sum / chars, BitsPerChar = sum / chars / Math.Log(2), NatsPerByte = sum / bytes,
            Accuracy = (double)hits / scored, Tokens = scored, Documents = docs.Count,
            DocPerplexityMean = ppls.Length > 0 ? ppls.Average() : 0,
            DocPerplexityMedian = ppls.Length > 0 ? ppls[ppls.Length / 2] : 0,
            WorstDocuments = docs.OrderByDescending(d => d.Nll).Take(10).ToList(), Split = split, Stride = s,
        };
    }

    /// <summary>Documents are the runs of tokens between end-of-text tokens; each scores the targets inside it.</summary>
    private static List<DocumentScore> Documents(TokenShard shard, ITokenizer tokenizer, float[] nll)
    {
        var docs = new List<DocumentScore>();
        long n = shard.Count;
        long start = 0;
        for (long i = 0; i <= n; i++)
        {
            if (i < n && shard[i] != tokenizer.EosId) continue;
            long from = Math.Max(start, 1), to = i;   // targets in [from, to)
            if (to > from)
            {
                double s = 0;
                for (long k = from; k < to; k++) s += nll[k];
                double mean = s / (to - from);
                int take = (int)Math.Min(to - start, 400);
                var ids = new int[take];
                shard.CopyTo(start, ids);
                string text = tokenizer.Decode(ids);
                docs.Add(new DocumentScore(docs.Count, to - from, mean, Math.Exp(mean), text.Length > 200 ? text[..200] + "…" : text));
            }
            start = i + 1;
        }
        return docs;
    }
}
