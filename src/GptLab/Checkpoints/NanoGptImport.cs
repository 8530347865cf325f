using System.Collections;
using GptLab.IO;
using GptLab.Model;
using GptLab.Tokenizers;
using GptLab.Training;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace GptLab.Checkpoints;

/// <summary>What an import of a nanoGPT checkpoint found.</summary>
public sealed record NanoGptImported(GptConfig Model, int Step, double BestValLoss, string Tokenizer, string? Dataset = null, bool DatasetReused = false, string? MetaFound = null);

/// <summary>
/// Reads a checkpoint saved by nanoGPT's train.py (<c>ckpt.pt</c>: the dict with <c>model</c>, <c>model_args</c>,
/// <c>iter_num</c>, <c>best_val_loss</c>, <c>config</c>, <c>optimizer</c>) into a GptLab checkpoint. The pickle is
/// read by TorchSharp.PyBridge; weights keep nanoGPT's names and Linear layout (GptLab's own), without the
/// <c>_orig_mod.</c> prefix torch.compile leaves. The tokenizer comes from nanoGPT's <c>meta.pkl</c> (char models) or
/// is GPT-2's for a GPT-2 vocabulary. The optimizer state is not imported: nanoGPT's AdamW keeps it per parameter
/// index of its own two groups, and GptLab's optimizer starts fresh when it fine-tunes (<c>init_from</c>).
/// </summary>
public static class NanoGptImport
{
    /// <summary>Imports the checkpoint; when <paramref name="dataOut"/> is given, nanoGPT's headerless
    /// <c>train.bin</c>/<c>val.bin</c> beside <paramref name="metaPath"/> become a GptLab dataset there (read in place
    /// as uint16, meta.json saying so), and the checkpoint points at it.</summary>
    public static NanoGptImported Import(string ckptPath, string outDir, string? metaPath, bool force, string? dataOut = null)
    {
        if (!File.Exists(ckptPath)) throw new GptLabException($"{ckptPath}: no such checkpoint");
        if (Directory.Exists(outDir) && Directory.EnumerateFileSystemEntries(outDir).Any() && !force)
            throw new GptLabException($"{outDir} already exists — pass --force to replace it");
        Hashtable top;
        try
        {
            using var f = File.OpenRead(ckptPath);
            top = PyTorchUnpickler.UnpickleStateDict(f);
        }
        catch (Exception e) when (e is not GptLabException)
        {
            throw new GptLabException($"{ckptPath} is not a PyTorch checkpoint this reader understands ({e.Message.Split('\n')[0]})");
        }
        var state = top["model"] as Hashtable ?? throw new GptLabException($"{ckptPath} has no 'model' state dict — is it a nanoGPT train.py checkpoint?");
        var args = top["model_args"] as Hashtable ?? throw new GptLabException($"{ckptPath} has no 'model_args'");
        int Int(string k) => Convert.ToInt32(args[k] ?? throw new GptLabException($"{ckptPath}: model_args has no '{k}'"));
        var weights = new Dictionary<string, Tensor>();
        foreach (DictionaryEntry e in state)
        {
            string name = ((string)e.Key).Replace("_orig_mod.", "", StringComparison.Ordinal);
            if (e.Value is Tensor t) weights[name] = t;
        }
        int vocab = Int("vocab_size");
        var config = new GptConfig
        {
            NLayer = Int("n_layer"), NHead = Int("n_head"), NEmbd = Int("n_embd"), BlockSize = Int("block_size"), VocabSize = vocab,
            Bias = args["bias"] is bool b ? b : weights.ContainsKey("transformer.ln_f.bias"), Dropout = 0,
            PosEmbedding = PosEmbedding.Learned, Activation = Activation.Gelu,
        };
        string? metaFound = null;
        if (metaPath is null && FindMeta(ckptPath, top) is string found) metaPath = metaFound = found;   // as nanoGPT's sample.py: data/<dataset>/meta.pkl
        if (dataOut is not null && metaPath is null) throw new GptLabException("importing nanoGPT's train.bin/val.bin needs --meta (the dataset's meta.pkl beside them)");
        ITokenizer tokenizer = metaPath is not null ? CharTokenizerFromMeta(metaPath)
            : vocab is 50257 or 50304 ? new Gpt2Tokenizer()
            : throw new GptLabException($"the model has a {vocab:N0}-token vocabulary: give --meta data/<dataset>/meta.pkl (nanoGPT's char vocabulary)");
        if (tokenizer.VocabSize > vocab) throw new GptLabException($"meta.pkl has {tokenizer.VocabSize} characters but the model {vocab} — is it the right dataset?");
        using var model = new Gpt(config);
        using (no_grad())
            foreach (var (name, p) in model.named_parameters())
            {
                if (!weights.TryGetValue(name, out var w)) throw new GptLabException($"{ckptPath} has no '{name}' — not a nanoGPT GPT of this shape");
                if (!w.shape.SequenceEqual(p.shape)) throw new GptLabException($"'{name}' is {string.Join("×", w.shape)} in {ckptPath}, {string.Join("×", p.shape)} in the model");
                p.copy_(w.to(p.dtype));
            }
        int step = top["iter_num"] is { } it ? Convert.ToInt32(it) : 0;
        double best = top["best_val_loss"] switch { Tensor t => t.to(ScalarType.Float64).item<double>(), null => double.PositiveInfinity, var v => Convert.ToDouble(v) };
        var (data, reused) = dataOut is null ? (null, false) : ImportDataset(Path.GetDirectoryName(Path.GetFullPath(metaPath!))!, dataOut, force, tokenizer);
        string tokDir = Directory.CreateTempSubdirectory("gptlab-import-").FullName;
        try
        {
            tokenizer.Save(tokDir);
            var train = new TrainConfig
            {
                NLayer = config.NLayer, NHead = config.NHead, NEmbd = config.NEmbd, BlockSize = config.BlockSize, Bias = config.Bias,
                PadVocab = vocab != tokenizer.VocabSize, Dataset = dataOut ?? "", MaxIters = step,
            };
            var manifest = new CheckpointManifest
            {
                Step = step, BestValLoss = best, Model = config, Train = train, TokenizerKind = tokenizer.Kind, DataVocabSize = tokenizer.VocabSize,
                DataFingerprint = data?.Fingerprint ?? "nanogpt-import", DatasetPath = dataOut is null ? null : Path.GetFullPath(dataOut), CreatedUtc = DateTime.UtcNow,
            };
            if (Directory.Exists(outDir) && force) AtomicDirectory.TryDelete(outDir);
            CheckpointStore.Save(outDir, model, null, manifest, tokDir);
        }
        finally { AtomicDirectory.TryDelete(tokDir); }
        foreach (var w in weights.Values) w.Dispose();
        return new NanoGptImported(config, step, best, tokenizer.Kind, dataOut, reused, metaFound);
    }

    /// <summary>The ckpt.pt a path names: the file itself, or nanoGPT's out_dir holding one; null otherwise.</summary>
    public static string? IsNanoGptCheckpoint(string path)
    {
        if (File.Exists(path) && Path.GetExtension(path).ToLowerInvariant() is ".pt" or ".pth" or ".ckpt") return path;
        string inDir = Path.Combine(path, "ckpt.pt");
        return Directory.Exists(path) && File.Exists(inDir) ? inDir : null;
    }

    /// <summary>nanoGPT's sample.py reads data/&lt;config['dataset']&gt;/meta.pkl: from the working folder, or from the
    /// nanoGPT checkout the checkpoint's out_dir sits in.</summary>
    private static string? FindMeta(string ckptPath, Hashtable top)
    {
        if ((top["config"] as Hashtable)?["dataset"] is not string dataset) return null;
        string outDir = Path.GetDirectoryName(Path.GetFullPath(ckptPath))!;
        foreach (var root in new[] { Directory.GetCurrentDirectory(), Path.GetDirectoryName(outDir) ?? outDir, outDir })
        {
            string meta = Path.Combine(root, "data", dataset, "meta.pkl");
            if (File.Exists(meta)) return meta;
        }
        return null;
    }

    /// <summary>nanoGPT's dataset folder (headerless uint16 train.bin, val.bin; meta.pkl for a char vocabulary, else
    /// GPT-2's) as a GptLab dataset in <paramref name="dataOut"/>, all or nothing — or the dataset already imported
    /// there from the same files, reused (a second checkpoint of the same data). Returns its meta and whether it was reused.</summary>
    public static (Data.DatasetMeta Meta, bool Reused) ImportDataset(string nanoDir, string dataOut, bool force, ITokenizer? tokenizer = null)
    {
        string train = Path.Combine(nanoDir, "train.bin"), val = Path.Combine(nanoDir, "val.bin");
        if (!File.Exists(train) || !File.Exists(val)) throw new GptLabException($"{nanoDir} has no train.bin and val.bin to import");
        string metaPkl = Path.Combine(nanoDir, "meta.pkl");
        tokenizer ??= File.Exists(metaPkl) ? CharTokenizerFromMeta(metaPkl) : new Gpt2Tokenizer();
        string sha256 = Sha256Of(train, val);
        string existing = Path.Combine(dataOut, Data.DatasetMeta.FileName);
        if (File.Exists(existing) && !force)
        {
            var old = Json.Read<Data.DatasetMeta>(existing, "re-import with --force");
            if (old.Source.Sha256 == sha256 && old.Tokenizer.Kind == tokenizer.Kind && old.Tokenizer.VocabSize == tokenizer.VocabSize) return (old, true);
        }
        if (Directory.Exists(dataOut) && Directory.EnumerateFileSystemEntries(dataOut).Any() && !force)
            throw new GptLabException($"{dataOut} already holds other data — pass --force to replace it, or --data-out another folder");
        long Tokens(string f)
        {
            long bytes = new FileInfo(f).Length;
            return bytes % 2 == 0 ? bytes / 2 : throw new GptLabException($"{f} has an odd number of bytes ({bytes:N0}): not nanoGPT's uint16 tokens");
        }
        bool chars = tokenizer.Kind == "char";   // a char token is one character; a BPE split's characters are counted by eval
        var meta = new Data.DatasetMeta
        {
            Name = Path.GetFileName(nanoDir), Header = false,
            Tokenizer = new Data.DatasetMeta.TokenizerInfo { Kind = tokenizer.Kind, VocabSize = tokenizer.VocabSize, EosId = tokenizer.EosId },
            Train = new Data.DatasetMeta.SplitInfo { Tokens = Tokens(train), Documents = 1, Chars = chars ? Tokens(train) : 0, Bytes = chars ? Tokens(train) : 0 },
            Val = new Data.DatasetMeta.SplitInfo { Tokens = Tokens(val), Documents = 1, Chars = chars ? Tokens(val) : 0, Bytes = chars ? Tokens(val) : 0 },
            Source = new Data.DatasetMeta.SourceInfo { Description = $"nanoGPT dataset {Path.GetFullPath(nanoDir)}", Bytes = new FileInfo(train).Length + new FileInfo(val).Length, Sha256 = sha256 },
            Options = new() { ["imported_from"] = "nanogpt" }, CreatedUtc = DateTime.UtcNow,
        };
        string staging = AtomicDirectory.CreateStaging(dataOut);
        try
        {
            File.Copy(train, Path.Combine(staging, "train.bin"));   // copied: nanoGPT's folder is left as it is
            File.Copy(val, Path.Combine(staging, "val.bin"));
            tokenizer.Save(staging);
            Json.Write(Path.Combine(staging, Data.DatasetMeta.FileName), meta);
            AtomicDirectory.Commit(staging, dataOut);
        }
        catch
        {
            AtomicDirectory.TryDelete(staging);
            throw;
        }
        return (meta, false);
    }

    private static string Sha256Of(params string[] files)
    {
        using var sha = System.Security.Cryptography.SHA256.Create();
        var buffer = new byte[1 << 20];
        foreach (var f in files)
        {
            using var s = File.OpenRead(f);
            int n;
            while ((n = s.Read(buffer)) > 0) sha.TransformBlock(buffer, 0, n, null, 0);
        }
        sha.TransformFinalBlock([], 0, 0);
        return Convert.ToHexStringLower(sha.Hash!);
    }

    /// <summary>nanoGPT's meta.pkl: {"vocab_size", "itos": {id: char}, "stoi"}.</summary>
    private static CharTokenizer CharTokenizerFromMeta(string metaPath)
    {
        if (!File.Exists(metaPath)) throw new GptLabException($"{metaPath}: no such meta.pkl");
        object? meta;
        try { meta = new Razorvine.Pickle.Unpickler().load(File.OpenRead(metaPath)); }
        catch (Exception e) { throw new GptLabException($"{metaPath} is not a nanoGPT meta.pkl ({e.Message.Split('\n')[0]})"); }
        var itos = (meta as Hashtable)?["itos"] as Hashtable ?? throw new GptLabException($"{metaPath} has no 'itos' table");
        var chars = itos.Cast<DictionaryEntry>().OrderBy(e => Convert.ToInt32(e.Key)).Select(e => char.ConvertToUtf32((string)e.Value!, 0)).ToList();
        return new CharTokenizer(chars, withEos: false);
    }
}
