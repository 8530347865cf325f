using System.Text.Json;
using GptLab.Checkpoints;
using GptLab.Data;
using GptLab.Evaluation;
using GptLab.Losses;
using static TorchSharp.torch;

namespace GptLab.Tests.Evaluation;

public class EvaluatorTests(TrainedRun trained) : IClassFixture<TrainedRun>
{
    [Fact]
    public void Every_token_is_scored_once_whatever_the_stride()
    {
        using var ck = CheckpointStore.Load(trained.Run.BestCheckpoint);
        using var ds = Dataset.Open(trained.DataDir);
        foreach (int? stride in new int?[] { null, 16, 5, 1 })
        {
            var r = Evaluator.Evaluate(ck.Model, ck.Tokenizer, ds.Val, ds.Meta.Val.Chars, ds.Meta.Val.Bytes, stride, batchSize: 4);
            Assert.Equal(ds.Val.Count - 1, r.Tokens);
            Assert.True(double.IsFinite(r.Nll) && r.Nll > 0);
        }
    }

    [Fact]
    public void Nll_equals_cross_entropy_computed_by_hand_on_one_window()
    {
        using var ck = CheckpointStore.Load(trained.Run.BestCheckpoint);
        using var dir = new TempDir();
        var ids = ck.Tokenizer.Encode("First Citizen:\nBefore");   // 21 tokens ≤ block_size + 1 = 17? no: two windows
        var shortIds = ids[..17];
        using (var w = new TokenShardWriter(dir["v.bin"], ck.Tokenizer.VocabSize)) { w.Write(shortIds); w.Complete(); }
        using var shard = TokenShard.Open(dir["v.bin"]);
        var r = Evaluator.Evaluate(ck.Model, ck.Tokenizer, shard, 17, 17);
        ck.Model.eval();
        using var x = tensor(shortIds[..16].Select(i => (long)i).ToArray(), [1, 16]);
        using var y = tensor(shortIds[1..].Select(i => (long)i).ToArray(), [1, 16]);
        using var logits = ck.Model.forward(x);
        double expected = LossFunctions.TokenNll(logits.narrow(2, 0, ck.Tokenizer.VocabSize), y).mean().item<float>();
        Assert.Equal(expected, r.Nll, 5);
        Assert.Equal(Math.Exp(expected), r.Perplexity, 4);
        Assert.Equal(expected * 16 / 17, r.NatsPerChar, 5);
    }

    [Fact]
    public void Documents_are_split_at_eos_and_the_worst_are_listed()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["d.txt"], string.Join("\n<|endoftext|>\n", Enumerable.Range(0, 12).Select(i => Tiny.ShakespeareText(3000 + i * 40)[(i * 200)..(i * 200 + 150)])));
        var src = CorpusSource.FromPath(dir["d.txt"], null).With(DocumentMode.Separator, "<|endoftext|>", null);
        DatasetPreparer.Prepare(new PrepareOptions { Source = src, OutDir = dir["o"], Tokenizer = "char", SplitByDocuments = true, ValFraction = 0.5 });
        using var ds = Dataset.Open(dir["o"]);
        random.manual_seed(1);
        using var model = new GptLab.Model.Gpt(new GptLab.Model.GptConfig { VocabSize = 128, BlockSize = 32, NLayer = 1, NHead = 1, NEmbd = 8 });
        var r = Evaluator.Evaluate(model, ds.Tokenizer, ds.Val, ds.Meta.Val.Chars, ds.Meta.Val.Bytes);
        Assert.Equal(6, r.Documents);
        Assert.Equal(6, r.WorstDocuments.Count);
        Assert.Equal(r.WorstDocuments.Select(d => d.Nll).OrderDescending(), r.WorstDocuments.Select(d => d.Nll));
    }

    [Fact]
    public void Eval_json_has_the_documented_keys()
    {
        var r = GptLabProcess.Run(trained.Dir.Path, "eval", "--run", "runs/tiny", "--json", "--threads", "1");
        Assert.True(r.Exit == 0, r.Err);
        var json = JsonDocument.Parse(r.Out).RootElement;
        foreach (var key in new[] { "nll", "perplexity", "bits_per_token", "nats_per_char", "bits_per_char", "nats_per_byte", "accuracy", "tokens", "documents" })
            Assert.True(json.TryGetProperty(key, out _), key);
    }
}
