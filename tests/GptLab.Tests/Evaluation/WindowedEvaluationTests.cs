using System.Text.Json;
using GptLab.Data;
using GptLab.Evaluation;
using GptLab.Model;
using GptLab.Sampling;
using static TorchSharp.torch;

namespace GptLab.Tests.Evaluation;

public class WindowedEvaluationTests(TrainedRun trained) : IClassFixture<TrainedRun>
{
    [Fact]
    public void All_windows_score_alike_while_every_stream_fits_in_the_block_and_part_ways_past_it()
    {
        using var data = Dataset.Open(trained.DataDir);
        random.manual_seed(3);
        using var model = new Gpt(new GptConfig { VocabSize = 128, BlockSize = 16, NLayer = 2, NHead = 2, NEmbd = 16, PosEmbedding = PosEmbedding.Rope });
        int vocab = data.Tokenizer.VocabSize;
        // 8 streams of 16 tokens: every context fits in the block
        var fits = new[] { WindowMode.Slide, WindowMode.Jump, WindowMode.Rolling }
            .Select(w => WindowedEvaluator.Evaluate(model, data.Val, vocab, w, maxTokens: 128).Nll).ToList();
        Assert.All(fits, v => Assert.Equal(fits[0], v, 4));
        // 8 streams of 200 tokens: the windows see different contexts (rolling differs from slide from the second layer
        // on: cached states there still carry the context of evicted tokens; with one layer the two are equal)
        var past = new[] { WindowMode.Slide, WindowMode.Jump, WindowMode.Rolling }
            .Select(w => WindowedEvaluator.Evaluate(model, data.Val, vocab, w, maxTokens: 1600).Nll).ToList();
        Assert.NotEqual(past[0], past[1], 6);
        Assert.NotEqual(past[0], past[2], 6);
        using var oneLayer = new Gpt(new GptConfig { VocabSize = 128, BlockSize = 16, NLayer = 1, NHead = 2, NEmbd = 16, PosEmbedding = PosEmbedding.Rope });
        Assert.Equal(WindowedEvaluator.Evaluate(oneLayer, data.Val, vocab, WindowMode.Slide, maxTokens: 800).Nll,
            WindowedEvaluator.Evaluate(oneLayer, data.Val, vocab, WindowMode.Rolling, maxTokens: 800).Nll, 4);
    }

    [Fact]
    public void Eval_window_prints_the_nll_of_each_mode_as_json()
    {
        foreach (var w in new[] { "slide", "jump" })
        {
            var r = GptLabProcess.Run(trained.Dir.Path, "eval", "--run", "runs/tiny", "--window", w, "--max-tokens", "400", "--json");
            Assert.True(r.Exit == 0, r.Err);
            var j = JsonDocument.Parse(r.Out).RootElement;
            Assert.Equal(w, j.GetProperty("window").GetString());
            Assert.InRange(j.GetProperty("nll").GetDouble(), 0.1, 10);
        }
        var rolling = GptLabProcess.Run(trained.Dir.Path, "eval", "--run", "runs/tiny", "--window", "rolling");
        Assert.Contains("needs a model with rotary positions", rolling.Err);
    }
}
