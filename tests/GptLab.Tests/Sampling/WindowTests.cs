using System.Text.Json;
using GptLab.Checkpoints;
using GptLab.Model;
using GptLab.Runs;
using GptLab.Sampling;
using static TorchSharp.torch;

namespace GptLab.Tests.Sampling;

/// <summary>Generation past block_size: slide (nanoGPT's crop), jump and rolling.</summary>
public class WindowTests
{
    private static Gpt Model(PosEmbedding pos, int block = 8)
    {
        random.manual_seed(11);
        var m = new Gpt(new GptConfig { VocabSize = 32, BlockSize = block, NLayer = 2, NHead = 2, NEmbd = 16, PosEmbedding = pos });
        using (no_grad()) foreach (var p in m.parameters()) p.mul_(8);   // sharper distributions than init
        return m;
    }

    private static SamplingOptions Options(WindowMode w, int tokens = 30) => new() { MaxNewTokens = tokens, Temperature = 1.0, TopK = 0, Seed = 5, Window = w };

    [Fact]
    public void Slide_gives_the_tokens_the_sampler_gave_before_windows_existed()
    {
        // a checkpoint and samples (60 tokens from a 16-token model: mostly past the block) recorded with the
        // sampler as it was before --window, through `gptlab sample --temperature 1 --top-k 0 --threads 1`
        string dir = Path.Combine(AppContext.BaseDirectory, "Fixtures", "slide_golden");
        using var ck = CheckpointStore.Load(dir);
        var golden = File.ReadAllLines(Path.Combine(dir, "samples.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        foreach (var seed in golden.Select(g => g.GetProperty("seed").GetInt64()).Distinct())
        {
            var expected = golden.Where(g => g.GetProperty("seed").GetInt64() == seed).Select(g => g.GetProperty("completion").GetString()!).ToList();
            var o = new SamplingOptions { MaxNewTokens = 60, Temperature = 1, TopK = 0, Seed = seed, Window = WindowMode.Slide, VocabLimit = ck.Tokenizer.VocabSize };
            var rows = Sampler.Generate(ck.Model, ck.Tokenizer.Encode("ROMEO:"), expected.Count, o);
            Assert.Equal(expected, rows.Select(r => ck.Tokenizer.Decode(r.AsSpan())).ToList());
        }
    }

    [Theory]
    [InlineData(PosEmbedding.Learned, WindowMode.Jump)]
    [InlineData(PosEmbedding.Rope, WindowMode.Jump)]
    [InlineData(PosEmbedding.Rope, WindowMode.Rolling)]
    public void Every_window_gives_slides_tokens_while_the_text_fits_in_the_block(PosEmbedding pos, WindowMode window)
    {
        using var model = Model(pos, block: 16);
        var slide = Sampler.Generate(model, [1, 2, 3], 2, Options(WindowMode.Slide, 13));   // 3 + 13 = 16 tokens
        Assert.Equal(slide, Sampler.Generate(model, [1, 2, 3], 2, Options(window, 13)));
        var longer = Sampler.Generate(model, [1, 2, 3], 2, Options(window, 40));
        Assert.Equal(slide.Select(r => r.Take(13)), longer.Select(r => r.Take(13)));
        Assert.NotEqual(Sampler.Generate(model, [1, 2, 3], 2, Options(WindowMode.Slide, 40)), longer);   // past the block they part ways
    }

    [Theory]
    [InlineData(PosEmbedding.Learned)]
    [InlineData(PosEmbedding.Rope)]
    public void Jump_gives_the_same_tokens_with_and_without_the_cache(PosEmbedding pos)
    {
        using var model = Model(pos);
        var cached = Sampler.Generate(model, [1, 2, 3], 2, Options(WindowMode.Jump, 40));
        var plain = Sampler.Generate(model, [1, 2, 3], 2, Options(WindowMode.Jump, 40) with { UseCache = false });
        Assert.Equal(plain, cached);
        Assert.Equal(cached, Sampler.Generate(model, [1, 2, 3], 2, Options(WindowMode.Jump, 40) with { Keep = 4 }));   // keep = block/2 is the default
    }

    [Fact]
    public void Rolling_is_refused_for_a_model_with_learned_positions()
    {
        using var model = Model(PosEmbedding.Learned);
        var e = Assert.Throws<GptLabException>(() => Sampler.Generate(model, [1], 1, Options(WindowMode.Rolling)));
        Assert.Contains("rolling needs a model with rotary positions", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData(PosEmbedding.Learned, WindowMode.Jump)]
    [InlineData(PosEmbedding.Rope, WindowMode.Rolling)]
    public void Memory_stays_flat_however_long_the_text(PosEmbedding pos, WindowMode window)
    {
        using var model = Model(pos, block: 32);
        var rss = new List<double>();
        int step = 0;
        Sampler.Generate(model, [1], 1, Options(window, 5000), _ =>
        {
            if (++step % 1000 == 0) { GC.Collect(); rss.Add(Measure.RssMb()); }
        });
        Assert.Equal(5, rss.Count);
        Assert.True(rss[^1] - rss[0] < 16, $"RSS grew from {rss[0]:0.0} to {rss[^1]:0.0} MiB over 4,000 tokens");
    }
}
