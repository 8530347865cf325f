using System.Text.Json.Nodes;
using GptLab.Checkpoints;
using GptLab.Data;
using GptLab.Model;
using GptLab.Runs;
using GptLab.Training;
using static TorchSharp.torch;

namespace GptLab.Tests.Checkpoints;

public class Gpt2InteropTests(TrainedRun trained) : IClassFixture<TrainedRun>
{
    private static Tensor Logits(Gpt model, Tensor idx)
    {
        model.eval();
        using var _ = no_grad();
        return model.forward(idx);
    }

    [Fact]
    public void Export_then_import_gives_the_same_logits()
    {
        using var dir = new TempDir();
        Gpt2Interop.Export(trained.Run.BestCheckpoint, dir["hf"]);
        var config = JsonNode.Parse(File.ReadAllText(dir["hf/config.json"]))!;
        Assert.Equal("gpt2", config["model_type"]!.GetValue<string>());
        var keys = SafeTensors.Load(dir["hf/model.safetensors"]);
        Assert.Equal(new long[] { 16, 48 }, keys["transformer.h.0.attn.c_attn.weight"].shape);   // Conv1D layout (in, out)
        Assert.True(keys.ContainsKey("lm_head.weight"));
        Assert.True(keys.ContainsKey("transformer.h.0.attn.c_attn.bias"));                        // zeros: the run has no biases
        Gpt2Interop.Import(dir["hf"], dir["ck"], tokenizerDir: trained.DataDir);
        using var original = CheckpointStore.Load(trained.Run.BestCheckpoint);
        using var imported = CheckpointStore.Load(dir["ck"]);
        using var idx = randint(0, 60, [2, 16]);
        Assert.True((Logits(original.Model, idx) - Logits(imported.Model, idx)).abs().max().item<float>() < 1e-5);
    }

    [Fact]
    public void Hugging_face_gpt2_layout_imports_with_tanh_gelu()
    {
        using var dir = new TempDir();
        random.manual_seed(4);
        var cfg = new GptConfig { VocabSize = 64, BlockSize = 8, NLayer = 2, NHead = 2, NEmbd = 16, Bias = true, Activation = Activation.GeluTanh };
        using var model = new Gpt(cfg);
        using (no_grad()) foreach (var p in model.parameters()) p.add_(randn_like(p) * 0.1);
        // as transformers writes GPT2Model: no "transformer." prefix, Conv1D weights (in, out), causal-mask buffers
        var tensors = model.named_parameters().Select(p => (
            p.name["transformer.".Length..],
            p.name.EndsWith("c_attn.weight") || p.name.EndsWith("c_proj.weight") || p.name.EndsWith("c_fc.weight") ? p.parameter.detach().t().contiguous() : p.parameter.detach()))
            .Append(("h.0.attn.bias", ones(1, 1, 8, 8))).Append(("h.1.attn.bias", ones(1, 1, 8, 8))).ToList();
        Directory.CreateDirectory(dir["hf"]);
        SafeTensors.Save(dir["hf/model.safetensors"], tensors);
        File.WriteAllText(dir["hf/config.json"], """{ "n_head": 2, "activation_function": "gelu_new", "model_type": "gpt2" }""");
        var m = Gpt2Interop.Import(dir["hf"], dir["ck"], tokenizerDir: trained.DataDir);
        Assert.Equal(GptLab.Model.Activation.GeluTanh, m.Model.Activation);
        using var ck = CheckpointStore.Load(dir["ck"]);
        using var idx = randint(0, 60, [2, 8]);
        Assert.True((Logits(model, idx) - Logits(ck.Model, idx)).abs().max().item<float>() < 1e-5);
        var e = Assert.Throws<GptLabException>(() => Gpt2Interop.Import(dir["hf/model.safetensors"], dir["ck"], tokenizerDir: trained.DataDir));
        Assert.Contains("--force", e.Message);
    }

    [Fact]
    public void Init_from_a_checkpoint_fine_tunes_its_weights()
    {
        using var dir = new TempDir();
        Gpt2Interop.Export(trained.Run.BestCheckpoint, dir["hf"]);
        Gpt2Interop.Import(dir["hf"], dir["ck"], tokenizerDir: trained.DataDir);
        using var data = Dataset.Open(trained.DataDir);
        var from = CheckpointStore.ReadManifest(dir["ck"]);
        var config = (Tiny.Config(trained.DataDir, 2) with { InitFrom = InitFrom.Checkpoint(dir["ck"]), NLayer = 1, NEmbd = 8 }).WithModelOf(from.Model, data.Tokenizer.VocabSize);
        Assert.Equal(2, config.NLayer);
        using var trainer = new Trainer(config, data, null);
        using var original = CheckpointStore.Load(trained.Run.BestCheckpoint);
        using var idx = randint(0, 60, [2, 16]);
        Assert.True((Logits(original.Model, idx) - Logits(trainer.Model, idx)).abs().max().item<float>() < 1e-5);
        var r = GptLabProcess.Run(trained.Dir.Path, "train", "--data", trained.DataDir, "--out", dir["ft"], "--set", $"init_from={dir["ck"]}",
            "--set", "max_iters=3", "--set", "log_interval=1", "--set", "eval_iters=2", "--set", "threads=1", "--set", "peak_flops=1e11", "--samples", "0");
        Assert.True(r.Exit == 0, r.Err);
        Assert.Equal(3, new RunDirectory(dir["ft"]).ReadMetrics().Count(x => x.Kind == "train"));
    }
}
