using FsCheck.Xunit;
using GptLab.Model;
using GptLab.Sampling;
using static TorchSharp.torch;

namespace GptLab.Tests.Sampling;

public class SamplerTests
{
    private static Gpt Model(PosEmbedding pos = PosEmbedding.Learned)
    {
        random.manual_seed(11);
        var m = new Gpt(new GptConfig { VocabSize = 32, BlockSize = 8, NLayer = 2, NHead = 2, NEmbd = 16, PosEmbedding = pos });
        using (no_grad()) foreach (var p in m.parameters()) p.mul_(8);   // sharper distributions than init
        return m;
    }

    [Theory]
    [InlineData(PosEmbedding.Learned)]
    [InlineData(PosEmbedding.Rope)]
    public void Cache_and_no_cache_give_the_same_tokens_past_block_size(PosEmbedding pos)
    {
        using var model = Model(pos);
        var o = new SamplingOptions { MaxNewTokens = 20, Temperature = 1.0, TopK = 0, Seed = 5 };
        var cached = Sampler.Generate(model, [1, 2, 3], 2, o);
        var plain = Sampler.Generate(model, [1, 2, 3], 2, o with { UseCache = false });
        Assert.Equal(plain, cached);
        Assert.Equal(20, cached[0].Length);
    }

    [Fact]
    public void Same_seed_same_text_other_seed_other_text()
    {
        using var model = Model();
        var o = new SamplingOptions { MaxNewTokens = 30, Temperature = 1.0, TopK = 0, Seed = 1 };
        Assert.Equal(Sampler.Generate(model, [4], 1, o), Sampler.Generate(model, [4], 1, o));
        Assert.NotEqual(Sampler.Generate(model, [4], 1, o)[0], Sampler.Generate(model, [4], 1, o with { Seed = 2 })[0]);
    }

    [Fact]
    public void Temperature_zero_is_argmax()
    {
        random.manual_seed(2);
        using var logits = randn(5, 40);
        using var picked = Sampler.Pick(logits, new SamplingOptions { Temperature = 0 }, null);
        Assert.Equal(logits.argmax(1).data<long>().ToArray(), picked.data<long>().ToArray());
    }

    [Fact]
    public void Stop_token_ends_a_sample()
    {
        using var model = Model();
        var greedy = Sampler.Generate(model, [1], 1, new SamplingOptions { MaxNewTokens = 10, Temperature = 0 })[0];
        var stopped = Sampler.Generate(model, [1], 1, new SamplingOptions { MaxNewTokens = 10, Temperature = 0, StopToken = greedy[2] })[0];
        Assert.Equal(greedy.Take(Array.IndexOf(greedy, greedy[2]) + 1), stopped);
    }

    [Property(MaxTest = 60)]
    public bool Top_k_and_top_p_never_pick_outside_the_allowed_set(int seed, byte k, byte pPercent)
    {
        int topK = k % 12 + 1;
        double topP = (pPercent % 100 + 1) / 100.0;
        var gen = new Generator((ulong)(uint)seed);
        random.manual_seed(seed);
        using var logits = randn(3, 20) * 3;
        using var filtered = Sampler.Filter(logits, topK, topP);
        var allowed = filtered.isfinite();
        for (int i = 0; i < 10; i++)
        {
            using var pick = Sampler.Pick(logits, new SamplingOptions { Temperature = 1, TopK = topK, TopP = topP }, gen);
            var ids = pick.data<long>().ToArray();
            for (int r = 0; r < 3; r++)
                if (!allowed[r, ids[r]].item<bool>()) return false;
        }
        // the allowed set is exactly the nucleus of the top-k, computed here independently: the k largest logits,
        // renormalized, then the smallest prefix (by probability) whose mass reaches p
        var rows = logits.data<float>().ToArray();
        for (int r = 0; r < 3; r++)
        {
            var row = rows.Skip(r * 20).Take(20).Select((v, i) => (v, i)).OrderByDescending(t => t.v).Take(topK).ToList();
            double max = row[0].v, z = row.Sum(t => Math.Exp(t.v - max));
            var expected = new HashSet<int>();
            double mass = 0;
            foreach (var (v, i) in row)
            {
                if (mass > topP) break;
                expected.Add(i);
                mass += Math.Exp(v - max) / z;
            }
            var actual = Enumerable.Range(0, 20).Where(i => allowed[r, i].item<bool>()).ToHashSet();
            if (!actual.SetEquals(expected)) return false;
        }
        return true;
    }
}
