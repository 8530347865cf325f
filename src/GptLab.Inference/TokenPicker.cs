namespace GptLab.Inference;

/// <summary>Picks one token from a row of logits: greedy, or temperature + top-k + top-p sampling (the rules of
/// GptLab's Sampler.Pick; the random stream is .NET's, so sampled text differs from the libtorch engine's while greedy
/// text is the same).</summary>
internal sealed class TokenPicker(GenerationOptions o, int vocabLimit)
{
    private readonly Random random = new((int)(o.Seed ^ (o.Seed >> 32)));
    private float[] scratch = [];
    private int[] order = [];
    private float[] keys = [];
    private readonly PriorityQueue<float, float> heap = new();

    public int Pick(ReadOnlySpan<float> logits)
    {
        int V = Math.Min(vocabLimit, logits.Length);
        if (o.Temperature <= 0) return ArgMax(logits[..V]);
        if (scratch.Length < V) { scratch = new float[V]; order = new int[V]; }
        var p = scratch.AsSpan(0, V);
        for (int i = 0; i < V; i++) p[i] = (float)(logits[i] / o.Temperature);
        int kept = V;
        for (int i = 0; i < V; i++) order[i] = i;
        bool topK = o.TopK > 0 && o.TopK < V;
        if (topK)
        {
            // the k-th largest by a size-k heap, not a sort of the whole vocabulary (50,257 for GPT-2) every token
            float kth = KthLargest(p, o.TopK);
            kept = 0;
            for (int i = 0; i < V; i++) if (p[i] >= kth) order[kept++] = i;   // ties with the k-th survive, as masked_fill(l < kth)
        }
        if (topK || o.TopP < 1.0)
        {
            if (keys.Length < kept) keys = new float[V];
            for (int i = 0; i < kept; i++) keys[i] = p[order[i]];
            Array.Sort(keys, order, 0, kept);             // the survivors, most likely first
            Array.Reverse(order, 0, kept);
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

    private float KthLargest(ReadOnlySpan<float> p, int k)
    {
        heap.Clear();
        foreach (var v in p)
        {
            if (heap.Count < k) heap.Enqueue(v, v);
            else if (v > heap.Peek()) heap.EnqueueDequeue(v, v);
        }
        return heap.Peek();
    }

    public static int ArgMax(ReadOnlySpan<float> x)
    {
        int best = 0;
        for (int i = 1; i < x.Length; i++) if (x[i] > x[best]) best = i;
        return best;
    }
}
