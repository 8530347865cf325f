using System.Text.Json;
using GptLab.Benchmarks;
using GptLab.Checkpoints;
using GptLab.Data;
using GptLab.Model;
using GptLab.Runs;
using GptLab.Training;
using static TorchSharp.torch;

namespace GptLab.Tests.Model;

/// <summary>Muon, untied embeddings, document attention and doc-aligned windows (issue 17), each checked against
/// what it promises; nanoGPT's defaults are untouched (ModernOptionsTests, TrainerTests).</summary>
public class SpeedrunOptionsTests
{
    private static readonly GptConfig Small = new() { VocabSize = 64, BlockSize = 16, NLayer = 2, NHead = 2, NEmbd = 16 };

    /// <summary>A char dataset of short documents (one per JSON line), each starting with 'X' and nowhere else.</summary>
    private static string Stories(TempDir dir, int count = 400)
    {
        var words = Tiny.ShakespeareText(40000).Replace("X", "", StringComparison.Ordinal).Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
        var rng = new Random(3);
        var lines = Enumerable.Range(0, count).Select(i =>
            JsonSerializer.Serialize(new { text = "X" + string.Join(' ', Enumerable.Range(0, rng.Next(4, 14)).Select(_ => words[rng.Next(words.Length)])) }));
        File.WriteAllLines(dir["stories.jsonl"], lines);
        DatasetPreparer.Prepare(new PrepareOptions { Source = CorpusSource.FromPath(dir["stories.jsonl"], null), OutDir = dir["stories"], Tokenizer = "char", Name = "stories" });
        return dir["stories"];
    }

    [Theory]
    [InlineData(48, 24)]
    [InlineData(24, 48)]
    [InlineData(32, 32)]
    public void Muon_orthogonalization_maps_singular_values_into_the_quintic_band_and_keeps_the_singular_vectors(int rows, int cols)
    {
        using var scope = NewDisposeScope();
        random.manual_seed(rows * 100 + cols);
        var g = randn(rows, cols) * 3;
        var o = NewtonSchulz.Orthogonalize(g);
        var (u, s, vh) = linalg.svd(g, fullMatrices: false);
        var so = linalg.svdvals(o).data<float>().ToArray();
        Assert.All(so, x => Assert.InRange(x, 0.6f, 1.25f));
        Assert.True(s.data<float>().ToArray() is var sg && sg.Max() / sg.Min() > 2, "the input's singular values should be spread");
        // same singular vectors: Uᵀ O V is diagonal
        var core = u.t().matmul(o).matmul(vh.t());
        var off = core - diag(core.diagonal());
        Assert.True(off.abs().max().item<float>() < 1e-3, $"off-diagonal {off.abs().max().item<float>()}");
        Assert.True(core.diagonal().min().item<float>() > 0.6);
    }

    [Fact]
    public void Muon_orthogonalizes_matrices_of_one_shape_together_exactly_as_one_at_a_time()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(21);
        // a model's shapes: wide, tall (iterated transposed) and square, two of each, as two layers give
        Tensor[] gs = [randn(24, 64), randn(64, 24), randn(32, 32), randn(24, 64) * 5, randn(64, 24) * 0.1, randn(32, 32)];
        var together = NewtonSchulz.Orthogonalize(gs, ScalarType.Float32);
        for (int i = 0; i < gs.Length; i++)
        {
            var alone = NewtonSchulz.Orthogonalize(gs[i]);
            Assert.Equal(gs[i].shape, together[i].shape);
            Assert.True((together[i] - alone).abs().max().item<float>() < 1e-5, $"matrix {i} differs");
        }
    }

    [Fact]
    public void Muon_in_bfloat16_stays_in_the_quintic_band_close_to_the_float32_update()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(22);
        var g = randn(48, 96) * 3;
        var fp32 = NewtonSchulz.Orthogonalize(g);
        var bf16 = NewtonSchulz.Orthogonalize(g, ScalarType.BFloat16);
        Assert.Equal(ScalarType.Float32, bf16.dtype);
        Assert.All(linalg.svdvals(bf16).data<float>().ToArray(), x => Assert.InRange(x, 0.6f, 1.25f));
        float diff = (bf16 - fp32).abs().max().item<float>(), size = fp32.abs().max().item<float>();
        Assert.True(diff > 0, "the iteration should have run in bfloat16");
        Assert.True(diff < 0.1 * size, $"bfloat16 update off by {diff} (entries up to {size})");
    }

    [Fact]
    public void Muon_dtype_bfloat16_trains_a_tiny_model_nearly_as_float32_does()
    {
        using var dir = new TempDir();
        using var data = Dataset.Open(Tiny.CharDataset(dir));
        var config = Tiny.Config(data.Directory, 8) with { Optimizer = OptimizerKind.Muon, MuonLr = 0.02 };
        List<double> Curve(Precision muonDtype)
        {
            var seen = new RecordingObserver();
            using var t = new Trainer(config with { MuonDtype = muonDtype }, data, null);
            t.Run([seen]);
            return seen.Steps.Select(s => s.Loss!.Value).ToList();
        }
        var fp32 = Curve(Precision.Float32);
        var bf16 = Curve(Precision.BFloat16);
        Assert.Equal(fp32[0], bf16[0]);                                  // the first loss comes before any update
        Assert.NotEqual(fp32[^1], bf16[^1]);                             // the updates were computed differently
        Assert.True(Math.Abs(fp32[^1] - bf16[^1]) < 0.05 * fp32[^1], $"{fp32[^1]} vs {bf16[^1]}");
        Assert.True(bf16[^1] < bf16[0], "it should learn");
    }

    [Fact]
    public void Muon_updates_the_hidden_matrices_and_leaves_embeddings_head_and_gains_to_adamw()
    {
        using var model = new Gpt(Small with { TieEmbeddings = false });
        using var opt = new Optimizer(model, new TrainConfig { Optimizer = OptimizerKind.Muon });
        var muon = opt.MuonParameters;
        Assert.Equal(2 * 4, muon.Count);   // c_attn, attn.c_proj, c_fc, mlp.c_proj per layer
        Assert.All(muon, n => Assert.StartsWith("transformer.h.", n));
        Assert.DoesNotContain(muon, n => n.Contains("wte") || n.Contains("wpe") || n.Contains("lm_head") || n.Contains("ln_"));
    }

    [Fact]
    public void A_muon_run_resumed_from_its_checkpoint_continues_the_same_curve()
    {
        using var dir = new TempDir();
        using var data = Dataset.Open(Tiny.CharDataset(dir));
        var config = Tiny.Config(data.Directory, 12) with { Optimizer = OptimizerKind.Muon, MuonLr = 0.02, EvalInterval = 4, Dtype = Precision.BFloat16 };
        var whole = new RecordingObserver();
        var wholeRun = new RunDirectory(dir["whole"]);
        wholeRun.Create();
        using (var t = new Trainer(config, data, wholeRun)) t.Run([whole]);
        var run = new RunDirectory(dir["split"]);
        run.Create();
        using (var t = new Trainer(config with { MaxIters = 6 }, data, run)) t.Run([]);
        Assert.Contains(CheckpointStore.LoadOptimizerState(run.LastCheckpoint).Keys, k => k.StartsWith("muon_momentum/transformer.h.0.attn.c_attn.weight", StringComparison.Ordinal));
        var second = new RecordingObserver();
        using (var t = new Trainer(config, data, run, run.LastCheckpoint)) t.Run([second]);
        Assert.Equal(whole.Steps.Skip(6).Select(s => s.Loss), second.Steps.Select(s => s.Loss));
    }

    [Fact]
    public void Untied_embeddings_give_the_output_head_its_own_weight()
    {
        using var tied = new Gpt(Small);
        using var untied = new Gpt(Small with { TieEmbeddings = false });
        Assert.DoesNotContain(tied.named_parameters(), p => p.name == "lm_head.weight");
        var head = untied.named_parameters().Single(p => p.name == "lm_head.weight").parameter;
        Assert.Equal(new long[] { 64, 16 }, head.shape);
        Assert.Equal(tied.NumParams() + 64 * 16, untied.NumParams());
        using var _ = no_grad();
        using var idx = tensor(new long[] { 1, 2, 3 }, [1, 3]);
        var before = untied.forward(idx).clone();
        head.zero_();   // the logits now come from lm_head alone: all zero
        Assert.Equal(0f, untied.forward(idx).abs().max().item<float>());
        Assert.True(before.abs().max().item<float>() > 0);
    }

    [Theory]
    [InlineData(PosEmbedding.Learned)]
    [InlineData(PosEmbedding.Rope)]
    public void Document_attention_never_looks_across_end_of_text_and_restarts_positions(PosEmbedding pos)
    {
        const int eos = 63;
        using var scope = NewDisposeScope();
        random.manual_seed(5);
        using var model = new Gpt(Small with { Attention = AttentionKind.Document, DocumentToken = eos, PosEmbedding = pos });
        using var causal = new Gpt(Small with { PosEmbedding = pos });
        causal.load_state_dict(model.state_dict());
        model.eval();
        causal.eval();
        using var _ = no_grad();
        long[] a = [5, 9, 12, 7, eos], b = [20, 21, 22, 23, 24, 25];
        Tensor Logits(Gpt m, long[] first) => m.forward(tensor(first.Concat(b).ToArray(), [1, first.Length + b.Length])).narrow(1, first.Length, b.Length);
        var withA = Logits(model, a);
        var withOtherA = Logits(model, [40, 41, 42, 43, eos]);
        var alone = model.forward(tensor(b, [1, b.Length]));
        Assert.True((withA - withOtherA).abs().max().item<float>() < 1e-5, "changing the other document changed this one's logits");
        Assert.True((withA - alone).abs().max().item<float>() < 1e-5, "a document after end-of-text must read as if it started the window");
        var causalA = Logits(causal, a);
        var causalOther = Logits(causal, [40, 41, 42, 43, eos]);
        Assert.True((causalA - causalOther).abs().max().item<float>() > 1e-3, "the control: causal attention does see the other document");
        // within the first document, document attention equals causal attention
        var firstDoc = tensor(a.Concat(b).ToArray(), [1, a.Length + b.Length]);
        Assert.True((model.forward(firstDoc).narrow(1, 0, a.Length) - causal.forward(firstDoc).narrow(1, 0, a.Length)).abs().max().item<float>() < 1e-5);
    }

    [Fact]
    public void Doc_aligned_windows_start_at_a_document_start_or_whole_blocks_into_a_long_document()
    {
        using var dir = new TempDir();
        using var data = Dataset.Open(Stories(dir));
        int eos = data.Tokenizer.EosId!.Value, x = data.Tokenizer.Encode("X")[0];
        const int T = 16;   // shorter than most documents (4–14 words), so long documents get starts inside them
        var tokens = new int[data.Train.Count];
        data.Train.CopyTo(0, tokens);
        var starts = BatchSource.WindowStarts(data.Train, eos, T);
        var set = starts.ToHashSet();
        Assert.All(starts, s => Assert.True(tokens[s] == x || (set.Contains(s - T) && !tokens.AsSpan((int)(s - T), T).Contains(eos)),
            $"window at {s} neither starts a document nor lies a block after a start in the same document"));
        Assert.Contains(starts, s => tokens[s] != x);                                                      // long documents were split
        var covered = new bool[tokens.Length];
        foreach (var s in starts) covered.AsSpan((int)s, T).Fill(true);
        Assert.True(covered.AsSpan(0, tokens.Length - 2 * T).IndexOf(false) < 0, "some tokens are in no window");   // every token is trained on

        var aligned = new BatchSource(data.Train, 32, T, false, 7, alignToDocumentsAfter: eos);
        var random = new BatchSource(data.Train, 32, T, false, 7);
        using var scope = NewDisposeScope();
        for (int i = 0; i < 5; i++)
        {
            var firsts = aligned.Next().X.select(1, 0).data<long>().ToArray();
            Assert.True(firsts.Count(t => t == x) > random.Next().X.select(1, 0).data<long>().ToArray().Count(t => t == x), "the control: random windows start documents less often");
        }
    }

    [Fact]
    public void Document_attention_on_data_without_end_of_text_is_a_clear_error()
    {
        using var dir = new TempDir();
        using var data = Dataset.Open(Tiny.CharDataset(dir));
        var e = Assert.Throws<GptLabException>(() => new Trainer(Tiny.Config(data.Directory) with { Attention = AttentionKind.Document }, data, null));
        Assert.Contains("needs an end-of-text token", e.Message);
        e = Assert.Throws<GptLabException>(() => new Trainer(Tiny.Config(data.Directory) with { Batching = Batching.DocAligned }, data, null));
        Assert.Contains("doc_aligned needs an end-of-text token", e.Message);
    }

    [Fact]
    public void A_tiny_model_on_short_documents_with_every_speedrun_option_learns()
    {
        using var dir = new TempDir();
        string data = Stories(dir);
        var config = Tiny.Config(data, 60) with
        {
            Optimizer = OptimizerKind.Muon,
            MuonLr = 0.03,
            LearningRate = 1e-2,
            TieEmbeddings = false,
            Attention = AttentionKind.Document,
            Batching = Batching.DocAligned,
            Norm = NormKind.RmsNorm,
            QkNorm = true,
            LogitSoftcap = 15,
            ZeroInitProj = true,
            Activation = Activation.Relu2,
            PosEmbedding = PosEmbedding.Rope,
            LrSchedule = LrScheduleKind.Wsd,
            Dtype = Precision.BFloat16,
            EvalInterval = 60,
        };
        var rec = new RecordingObserver();
        using (var s = TrainingSession.Start(config, dir["run"])) s.Train([rec]);
        Assert.True(rec.Evals[^1].ValNll < rec.Evals[0].ValNll - 0.5, $"val NLL {rec.Evals[0].ValNll:0.000} → {rec.Evals[^1].ValNll:0.000}");
        using var ck = CheckpointStore.Load(new RunDirectory(dir["run"]).LastCheckpoint);
        Assert.Equal(AttentionKind.Document, ck.Model.Config.Attention);   // the options travel with the checkpoint
        Assert.False(ck.Model.Config.TieEmbeddings);
        Assert.Equal(ck.Tokenizer.EosId, ck.Model.Config.DocumentToken);
    }
}
