using System.Text.Json;
using GptLab.Baselines;
using GptLab.Data;
using GptLab.Runs;

namespace GptLab.Tests.Baselines;

/// <summary>Interpolated modified Kneser–Ney against a toy worked by hand, its definition's invariants, and real text.</summary>
public class KneserNeyTests
{
    private static TokenShard Shard(TempDir dir, int[] tokens, int vocab, string name = "s.bin")
    {
        using (var w = new TokenShardWriter(dir[name], vocab)) { w.Write(tokens); w.Complete(); }
        return TokenShard.Open(dir[name]);
    }

    [Fact]
    public void A_toy_corpus_gives_the_counts_and_probabilities_worked_out_by_hand()
    {
        // stream 0 1 0 1 2 over a vocabulary of 3, order 2, discounts fixed at (0.5, 1, 1.5):
        //   bigrams (raw): 01×2, 10×1, 12×1; unigram continuation counts: a(0) = |{1}| + 1 (it opens the stream) = 2,
        //   a(1) = |{0}| = 1, a(2) = |{1}| = 1 → sum 4, one count of 2, two of 1: γ = (0.5·2 + 1·1)/4 = 0.5
        //   p1(0) = (2−1)/4 + 0.5/3 = 5/12; p1(1) = p1(2) = (1−0.5)/4 + 0.5/3 = 7/24
        //   context 1: 10×1, 12×1 → γ = 0.5·2/2 = 0.5: p(0|1) = 0.5/2 + 0.5·5/12 = 11/24, p(1|1) = 0.5·7/24 = 7/48,
        //   p(2|1) = 0.25 + 7/48 = 19/48; context 0: 01×2 → γ = 1·1/2: p(1|0) = (2−1)/2 + 0.5·7/24 = 31/48, p(0|0) = 5/24
        using var dir = new TempDir();
        using var shard = Shard(dir, [0, 1, 0, 1, 2], 3);
        var lm = KneserNey.Train(shard, 2, 3, KneserNey.FallbackDiscounts);
        Assert.Equal((2, 1, 1), (lm.CountOf([0]), lm.CountOf([1]), lm.CountOf([2])));
        Assert.Equal((2, 1, 1, 0), (lm.CountOf([0, 1]), lm.CountOf([1, 0]), lm.CountOf([1, 2]), lm.CountOf([0, 0])));
        double[] expected = [5.0 / 12, 7.0 / 24, 7.0 / 24];
        for (int w = 0; w < 3; w++) Assert.Equal(expected[w], lm.Probability([], w), 12);
        Assert.Equal(11.0 / 24, lm.Probability([1], 0), 12);
        Assert.Equal(7.0 / 48, lm.Probability([1], 1), 12);
        Assert.Equal(19.0 / 48, lm.Probability([1], 2), 12);
        Assert.Equal(31.0 / 48, lm.Probability([0], 1), 12);
        Assert.Equal(5.0 / 24, lm.Probability([0], 0), 12);
        Assert.Equal(5.0 / 12, lm.Probability([2], 0), 12);   // 2 never precedes anything: back to the unigram
        // val 2 0 1: tokens 0 (after 2) and 1 (after 0) are scored
        using var val = Shard(dir, [2, 0, 1], 3, "v.bin");
        Assert.Equal(-(Math.Log(5.0 / 12) + Math.Log(31.0 / 48)), NGramBaseline.Score(lm, val), 12);
    }

    [Fact]
    public void Discounts_follow_chen_and_goodman_and_fall_back_when_undefined()
    {
        var d = KneserNey.EstimateDiscounts(10, 5, 3, 2);   // Y = 10/20 = 0.5
        Assert.Equal(1 - 2 * 0.5 * 5 / 10, d[0], 12);
        Assert.Equal(2 - 3 * 0.5 * 3 / 5.0, d[1], 12);
        Assert.Equal(3 - 4 * 0.5 * 2 / 3.0, d[2], 12);
        Assert.Equal(KneserNey.FallbackDiscounts, KneserNey.EstimateDiscounts(10, 5, 0, 0));
    }

    [Fact]
    public void Probabilities_sum_to_one_over_the_vocabulary_for_every_context()
    {
        using var dir = new TempDir();
        var rng = new Random(5);
        // skewed tokens (two ids never occur), so the top order has counts of 1, 2 and 3+ and estimates its discounts
        const int V = 30;
        var tokens = Enumerable.Range(0, 6000).Select(_ => (int)Math.Floor(Math.Pow(rng.NextDouble(), 2.5) * (V - 2))).ToArray();
        using var shard = Shard(dir, tokens, V);
        var lm = KneserNey.Train(shard, 3, V);
        Assert.NotEqual(KneserNey.FallbackDiscounts, lm.Discounts[2]);
        var contexts = new List<int[]> { Array.Empty<int>() };
        for (int a = 0; a < V; a++)
        {
            contexts.Add([a]);
            for (int b = 0; b < V; b++) contexts.Add([a, b]);   // seen and unseen alike
        }
        foreach (var h in contexts)
            Assert.Equal(1.0, Enumerable.Range(0, V).Sum(w => lm.Probability(h, w)), 10);
    }

    [Fact]
    public void Shakespeare_char_nll_falls_with_the_order_then_flattens()
    {
        using var dir = new TempDir();
        using var ds = Dataset.Open(Tiny.CharDataset(dir, 300_000));
        var nll = NGramBaseline.Run(ds, 5).Select(s => s.Nll).ToArray();
        Assert.True(nll[0] > nll[1] && nll[1] > nll[2] && nll[2] > nll[3], string.Join(", ", nll));
        Assert.True(nll[0] - nll[1] > 4 * Math.Abs(nll[3] - nll[4]), string.Join(", ", nll));   // big gains first, little at the end
        Assert.InRange(nll[0], 3.0, 3.5);                                                        // unigram characters: ~3.3 nats
        Assert.NotNull(GptLab.Runs.BaselineFile.Read(ds.Directory));
    }

    [Fact]
    public void The_cli_prints_one_json_object_per_order_and_caches_them_beside_the_dataset()
    {
        using var dir = new TempDir();
        string data = Tiny.CharDataset(dir, 20_000);
        var r = GptLabProcess.Run(dir.Path, "baseline", "ngram", "--data", data, "--order", "3", "--json");
        Assert.True(r.Exit == 0, r.Err);
        var rows = r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal([1, 2, 3], rows.Select(e => e.GetProperty("order").GetInt32()));
        foreach (var e in rows)
        {
            double nll = e.GetProperty("nll").GetDouble();
            Assert.Equal(Math.Exp(nll), e.GetProperty("perplexity").GetDouble(), 9);
            Assert.Equal(e.GetProperty("nats_per_char").GetDouble() / Math.Log(2), e.GetProperty("bits_per_char").GetDouble(), 9);
        }
        Assert.True(File.Exists(Path.Combine(data, BaselineFile.FileName)));
        var bad = GptLabProcess.Run(dir.Path, "baseline", "ngram", "--data", data, "--order", "x");
        Assert.NotEqual(0, bad.Exit);
        Assert.Contains("--order must be N or A..B", bad.Err);
    }
}
