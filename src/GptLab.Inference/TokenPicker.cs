namespace GptLab.Inference;

/// <summary>Picks one token from a row of logits: greedy, or temperature + top-k + top-p sampling (the rules of
/// GptLab's Sampler.Pick; the random stream is .NET's, so sampled text differs from the libtorch engine's while greedy
/// text is the same).</summary>
internal sealed class TokenPicker(GenerationOptions o, int vocabLimit)
{
    private readonly Random random = new((int)(o.Seed ^ (o.Seed >> 32)));
    private float[] scratch = [];
    private int[] order = [];

    public int Pick(ReadOnlySpan<float> logits)
    {
        int V = Math.Min(vocabLimit, logits.Length);
        if (o.Temperature <= 0) return ArgMax(logits[..V]);
        if (scratch.Length < V) { scratch = new float[V]; order = new int[V]; }
        var p = scratch.AsSpan(0, V);
        for (int i = 0; i < V; i++) p[i] = (float)(logits[i] / o.Temperature);
        int kept = V;
        for (int i = 0; i < V; i++) order[i] = i;
        if ((o.TopK > 0 && o.TopK < V) || o.TopP < 1.0)
        {
            var keys = p.ToArray();
            Array.Sort(keys, order, 0, V);               // ascending
            Array.Reverse(order, 0, V);
            if (o.TopK > 0 && o.TopK < V)
            {
                float kth = p[order[o.TopK - 1]];
                kept = o.TopK;
                while (kept < V && p[order[kept]] == kth) kept++;   // ties with the k-th survive, as masked_fill(l < kth)
            }
        }
        double max = double.NegativeInfinity, sum = 0;
        for (int i = 0; i < kept; i++) max = Math.Max(max, p[order[i]]);
        for (int i = 0; i < kept; i++) sum += Math.Exp(p[order[i]] - max);
        if (o.TopP < 1.0)
        {
            double cum = 0;
            for (int i = 0; i < kept; i++)
            {
                double pi = Math.Exp(p[order[i]] - max) / sum;
                if (cum > o.TopP) { kept = i; break; }   // keep the smallest prefix with mass ≥ p
                cum += pi;
            }
            sum = 0;
            for (int i = 0; i < kept; i++) sum += Math.Exp(p[order[i]] - max);
        }
        double u = random.NextDouble() * sum, acc = 0;
        for (int i = 0; i < kept; i++)
        {
            acc += Math.Exp(p[order[i]] - max);
            if (u < acc) return order[i];
        }
        return order[kept - 1];
    }

    public static int ArgMax(ReadOnlySpan<float> x)
    {
        int best = 0;
        for (int i = 1; i < x.Length; i++) if (x[i] > x[best]) best = i;
        return best;
    }
}
