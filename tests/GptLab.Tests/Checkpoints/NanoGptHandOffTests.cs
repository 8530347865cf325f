using System.Text.Json;
using GptLab.Training;

namespace GptLab.Tests.Checkpoints;

/// <summary>
/// A nanoGPT user's first hour: a nanoGPT checkout (out_dir with ckpt.pt, data/shakespeare_char with meta.pkl and
/// the headerless shards, made by nanoGPT's own model.py in Fixtures/make_nanogpt_checkpoint.py) and nanoGPT's habits.
/// </summary>
public class NanoGptHandOffTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "nanogpt", name);

    /// <summary>nano/out/ckpt.pt and nano/data/shakespeare_char/{meta.pkl, train.bin, val.bin}.</summary>
    private static string Checkout(TempDir dir)
    {
        Directory.CreateDirectory(dir["nano/out"]);
        Directory.CreateDirectory(dir["nano/data/shakespeare_char"]);
        File.Copy(Fixture("ckpt.pt"), dir["nano/out/ckpt.pt"]);
        foreach (var f in new[] { "meta.pkl", "train.bin", "val.bin" }) File.Copy(Fixture(f), dir[$"nano/data/shakespeare_char/{f}"]);
        return dir["nano"];
    }

    private static string Snapshot(string folder) => string.Join("\n", Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
        .Select(f => $"{f} {new FileInfo(f).Length} {Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f)))}"));

    [Fact]
    public void An_out_dir_imports_with_its_vocabulary_found_as_sample_py_finds_it_and_a_second_checkpoint_reuses_the_dataset()
    {
        using var dir = new TempDir();
        Checkout(dir);
        var first = GptLabProcess.Run(dir["nano"], "import", "out", "--out", "../ck1", "--data-out", "../data/sc");
        Assert.True(first.Exit == 0, first.Err);
        Assert.Contains("data/shakespeare_char/meta.pkl", first.Out);
        var second = GptLabProcess.Run(dir["nano"], "import", "out/ckpt.pt", "--out", "../ck2", "--data-out", "../data/sc");
        Assert.True(second.Exit == 0, second.Err);
        Assert.Contains("already imported: reused", second.Out);
        var eval = GptLabProcess.Run(dir.Path, "eval", "--checkpoint", "ck2", "--json");
        Assert.True(eval.Exit == 0, eval.Err);
        double expected = JsonDocument.Parse(File.ReadAllText(Fixture("logits.json"))).RootElement.GetProperty("val_nll").GetDouble();
        Assert.Equal(expected, JsonDocument.Parse(eval.Out).RootElement.GetProperty("nll").GetDouble(), 4);
    }

    [Fact]
    public void A_nanoGPT_data_folder_imports_alone_and_is_never_advised_to_be_overwritten()
    {
        using var dir = new TempDir();
        string nano = Checkout(dir);
        string before = Snapshot(nano);
        Assert.Equal(0, GptLabProcess.Run(dir.Path, "import", "nano/out", "--out", "ck").Exit);
        // eval pointed at nanoGPT's data folder: says how to import it, never `prepare --out` that folder
        var eval = GptLabProcess.Run(dir.Path, "eval", "--checkpoint", "ck", "--data", "nano/data/shakespeare_char");
        Assert.NotEqual(0, eval.Exit);
        Assert.Contains("is a nanoGPT data folder", eval.Err);
        Assert.Contains("gptlab import nano/data/shakespeare_char --out data/shakespeare_char", eval.Err);
        Assert.DoesNotContain("prepare", eval.Err);
        var data = GptLabProcess.Run(dir.Path, "import", "nano/data/shakespeare_char", "--out", "data/shakespeare_char");
        Assert.True(data.Exit == 0, data.Err);
        var again = GptLabProcess.Run(dir.Path, "import", "nano/data/shakespeare_char", "--out", "data/shakespeare_char");
        Assert.Contains("already holds this nanoGPT dataset", again.Out);
        var ok = GptLabProcess.Run(dir.Path, "eval", "--checkpoint", "ck", "--data", "data/shakespeare_char", "--json");
        Assert.True(ok.Exit == 0, ok.Err);
        Assert.Equal(before, Snapshot(nano));                                    // nanoGPT's checkout untouched throughout
    }

    [Fact]
    public void A_nanoGPT_checkpoint_given_to_sample_points_to_import()
    {
        using var dir = new TempDir();
        Checkout(dir);
        var r = GptLabProcess.Run(dir.Path, "sample", "--checkpoint", "nano/out/ckpt.pt");
        Assert.NotEqual(0, r.Exit);
        Assert.Contains("is a nanoGPT checkpoint — import it first: `gptlab import nano/out/ckpt.pt", r.Err);
    }

    [Theory]
    [InlineData(new[] { "train", "--max_iters=100" }, "`--set max_iters=100`")]
    [InlineData(new[] { "train", "--compile=False" }, "TorchSharp has no torch.compile")]
    [InlineData(new[] { "sample", "--run", "r", "--start", "ROMEO:" }, "--prompt TEXT")]
    [InlineData(new[] { "sample", "--run", "r", "--num_samples", "3" }, "`--num-samples`")]
    [InlineData(new[] { "sample", "--run", "r", "--max_new_tokens=50" }, "`--max-new-tokens 50`")]
    public void NanoGPT_flags_get_the_GptLab_spelling(string[] args, string hint)
    {
        using var dir = new TempDir();
        var r = GptLabProcess.Run(dir.Path, args);
        Assert.Equal(2, r.Exit);
        Assert.Contains(hint, r.Err);
        Assert.Single(r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void NanoGPTs_config_files_are_read_and_anything_but_literals_is_refused_with_its_line()
    {
        using var dir = new TempDir();
        // nanoGPT's config/train_shakespeare_char.py, as it ships (its assignments and comments)
        File.WriteAllText(dir["train_shakespeare_char.py"], """
            # train a miniature character-level shakespeare model
            # good for debugging and playing on macbooks and such

            out_dir = 'out-shakespeare-char'
            eval_interval = 250 # keep frequent because we'll overfit
            eval_iters = 200
            log_interval = 10 # don't print too too often

            # we expect to overfit on this small dataset, so only save when val improves
            always_save_checkpoint = False

            wandb_log = False # override via command line if you like
            wandb_project = 'shakespeare-char'
            wandb_run_name = 'mini-gpt'

            dataset = 'shakespeare_char'
            gradient_accumulation_steps = 1
            batch_size = 64
            block_size = 256 # context of up to 256 previous characters

            # baby GPT model :)
            n_layer = 6
            n_head = 6
            n_embd = 384
            dropout = 0.2

            learning_rate = 1e-3 # with baby networks can afford to go a bit higher
            max_iters = 5000
            lr_decay_iters = 5000 # make equal to max_iters usually
            min_lr = 1e-4 # learning_rate / 10 usually
            beta2 = 0.99 # make a bit bigger because number of tokens per iter is small

            warmup_iters = 100 # not super necessary potentially

            # on macbook also add
            # device = 'cpu'  # run on cpu only
            # compile = False # do not torch compile the model
            """);
        var (config, source, note) = ConfigResolver.FromPreset(null, dir["train_shakespeare_char.py"], []);
        Assert.Equal((6, 6, 384, 256, 64), (config.NLayer, config.NHead, config.NEmbd, config.BlockSize, config.BatchSize));
        Assert.Equal((0.2, 1e-3, 1e-4, 0.99, 5000, 100), (config.Dropout, config.LearningRate, config.MinLr, config.Beta2, config.MaxIters, config.WarmupIters));
        Assert.False(config.AlwaysSaveCheckpoint);
        Assert.Equal("data/shakespeare-char", config.Dataset);
        Assert.Contains("out_dir", note);
        Assert.EndsWith("train_shakespeare_char.py", source);
        File.WriteAllText(dir["bad.py"], "batch_size = 12\nimport time\nwandb_run_name = 'ft-' + str(time.time())\n");
        var e = Assert.Throws<GptLabException>(() => ConfigResolver.FromPreset(null, dir["bad.py"], []));
        Assert.Contains("line 2", e.Message);
        File.WriteAllText(dir["expr.py"], "gradient_accumulation_steps = 5 * 8\n");
        var e2 = Assert.Throws<GptLabException>(() => ConfigResolver.FromPreset(null, dir["expr.py"], []));
        Assert.Contains("line 1", e2.Message);
        Assert.Contains("gradient_accumulation_steps", e2.Message);
    }

    [Fact]
    public void Runs_are_named_after_their_data_and_datasets_after_a_meaningful_folder()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["kjv/data"]);
        File.WriteAllText(dir["kjv/data/a.txt"], Tiny.ShakespeareText(20000));
        var prep = GptLabProcess.Run(dir.Path, "prepare", "kjv/data");
        Assert.True(prep.Exit == 0, prep.Err);
        Assert.True(Directory.Exists(dir["data/kjv-char"]), prep.Out);
        var train = GptLabProcess.Run(dir.Path, ["train", "--data", "data/kjv-char", .. Tiny.CliSets("peak_flops=1e11", "max_iters=2", "eval_interval=2"), "--samples", "0"]);
        Assert.True(train.Exit == 0, train.Err);
        Assert.Single(Directory.GetDirectories(dir["runs"]), d => Path.GetFileName(d).StartsWith("kjv-char-shakespeare-char-cpu-", StringComparison.Ordinal));
    }
}
