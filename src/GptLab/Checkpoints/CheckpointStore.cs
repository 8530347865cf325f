using GptLab.Data;
using GptLab.IO;
using GptLab.Model;
using GptLab.Tokenizers;
using GptLab.Training;
using static TorchSharp.torch;

namespace GptLab.Checkpoints;

/// <summary>manifest.json of a checkpoint: everything needed to rebuild the model and continue the run exactly.</summary>
public sealed record CheckpointManifest
{
    public const string FileName = "manifest.json";
    public const int CurrentFormat = 1;
    public int FormatVersion { get; init; } = CurrentFormat;
    public int Step { get; init; }                    // iterations done
    public long TokensSeen { get; init; }
    public double BestValLoss { get; init; } = double.PositiveInfinity;
    public int? LastEvalStep { get; init; }
    public double WallS { get; init; }
    public required GptConfig Model { get; init; }
    public required TrainConfig Train { get; init; }
    public string TokenizerKind { get; init; } = "";
    public int DataVocabSize { get; init; }           // the tokenizer's vocab (the model's may be padded)
    public string DataFingerprint { get; init; } = "";
    public string? DatasetPath { get; init; }         // the dataset's absolute path when trained (train.dataset may be relative)
    public ulong BatchRng { get; init; }
    public long BatchPosition { get; init; }
    public long BatchEpoch { get; init; }
    public long OptimizerStep { get; init; }
    public string TorchRngState { get; init; } = "";  // base64 of the default generator's state (dropout)
    public double? LossScale { get; init; }           // float16: the dynamic loss scale and its growth tracker
    public int ScaleGrowthTracker { get; init; }
    public DateTime CreatedUtc { get; init; }
}

/// <summary>A checkpoint loaded from disk.</summary>
public sealed class Checkpoint : IDisposable
{
    public required string Directory { get; init; }
    public required CheckpointManifest Manifest { get; init; }
    public required Gpt Model { get; init; }
    public required ITokenizer Tokenizer { get; init; }

    /// <summary>Opens <paramref name="dataDir"/>, or the data this model trained on: the config's path as given, else
    /// the absolute path recorded at training time. The data must use the model's tokenizer.</summary>
    public Dataset OpenData(string? dataDir = null)
    {
        string dir = dataDir ?? new[] { Manifest.Train.Dataset, Manifest.DatasetPath }.OfType<string>()
            .FirstOrDefault(d => File.Exists(Path.Combine(d, DatasetMeta.FileName)))
            ?? throw new GptLabException($"the data this model trained on is not at {Manifest.Train.Dataset}{(Manifest.DatasetPath is string a ? $" nor {a}" : "")} — pass --data DIR");
        var ds = DatasetLocator.Open(dir);
        if (ds.Tokenizer.Kind != Tokenizer.Kind || ds.Tokenizer.VocabSize != Tokenizer.VocabSize)
        {
            ds.Dispose();
            throw new GptLabException($"{dir} was tokenized with {ds.Tokenizer.Kind} ({ds.Tokenizer.VocabSize:N0}), the model with {Tokenizer.Kind} ({Tokenizer.VocabSize:N0}) — prepare the data with the model's tokenizer");
        }
        return ds;
    }

    public void Dispose() => Model.Dispose();
}

/// <summary>
/// Writes checkpoints as a folder (model.safetensors with GPT-2 names, optimizer.safetensors, the tokenizer,
/// manifest.json written last) under a temporary name, then renames it into place: a half-written checkpoint
/// is never mistaken for a good one, and the previous one survives a crash mid-write.
/// </summary>
public static class CheckpointStore
{
    public const string ModelFile = "model.safetensors";
    public const string OptimizerFile = "optimizer.safetensors";

    /// <summary>Writes the checkpoint; <paramref name="beforeCommit"/> (a lease's check) runs just before it is swapped
    /// in, so a writer that lost its run while writing leaves the holder's checkpoint alone. With a weight
    /// <paramref name="average"/> (ema_decay), model.safetensors holds the average and optimizer.safetensors also the
    /// weights training continues from.</summary>
    internal static void Save(string target, Gpt model, Optimizer? optimizer, CheckpointManifest manifest, string tokenizerDir, Action? beforeCommit = null,
        WeightAverage? average = null)
    {
        string staging = AtomicDirectory.CreateStaging(target);
        try
        {
            SafeTensors.Save(Path.Combine(staging, ModelFile), average?.Averaged() ?? model.named_parameters().Select(p => (p.name, (Tensor)p.parameter)),
                new Dictionary<string, string> { ["format"] = "pt", ["producer"] = "gptlab" });
            if (optimizer != null) SafeTensors.Save(Path.Combine(staging, OptimizerFile), average is null ? optimizer.State() : optimizer.State().Concat(average.TrainingWeights()));
            TokenizerStore.CopyFiles(tokenizerDir, staging);
            Json.Write(Path.Combine(staging, CheckpointManifest.FileName), manifest);
            beforeCommit?.Invoke();
            AtomicDirectory.Commit(staging, target);
        }
        catch
        {
            AtomicDirectory.TryDelete(staging);
            throw;
        }
    }

    /// <summary>A run's best and last checkpoints, each with its manifest or null when absent.</summary>
    public static IReadOnlyList<(string Kind, string Directory, CheckpointManifest? Manifest)> OfRun(Runs.RunDirectory run) =>
        [.. new[] { ("best", run.BestCheckpoint), ("last", run.LastCheckpoint) }.Select(k => (k.Item1, k.Item2, Exists(k.Item2) ? ReadManifest(k.Item2) : null))];

    /// <summary>The checkpoint a run is used through: its best, else its last.</summary>
    public static string PreferredOf(Runs.RunDirectory run) => Exists(run.BestCheckpoint) ? run.BestCheckpoint : run.LastCheckpoint;

    public static bool Exists(string dir)
    {
        AtomicDirectory.Recover(dir);
        return File.Exists(Path.Combine(dir, CheckpointManifest.FileName));
    }

    public static CheckpointManifest ReadManifest(string dir)
    {
        if (!Exists(dir)) throw new GptLabException(NanoGptImport.IsNanoGptCheckpoint(dir) is string pt
            ? $"{dir} is a nanoGPT checkpoint — import it first: `gptlab import {pt} --out ck` (add --meta data/NAME/meta.pkl for a char model), then use --checkpoint ck"
            : $"{dir} holds no checkpoint (no manifest.json) — train first, or pick another checkpoint");
        var m = Json.Read<CheckpointManifest>(Path.Combine(dir, CheckpointManifest.FileName), "the checkpoint is damaged");
        if (m.FormatVersion != CheckpointManifest.CurrentFormat)
            throw new GptLabException($"{dir}: checkpoint format {m.FormatVersion} is not supported by this GptLab (expects {CheckpointManifest.CurrentFormat})");
        return m;
    }

    /// <summary>Loads the model (and its tokenizer) of a checkpoint folder.</summary>
    public static Checkpoint Load(string dir)
    {
        var manifest = ReadManifest(dir);
        var model = new Gpt(manifest.Model);
        try
        {
            LoadWeights(model, Path.Combine(dir, ModelFile));
        }
        catch
        {
            model.Dispose();
            throw;
        }
        model.eval();
        return new Checkpoint { Directory = dir, Manifest = manifest, Model = model, Tokenizer = TokenizerStore.Load(dir, manifest.TokenizerKind) };
    }

    public static void LoadWeights(Gpt model, string path)
    {
        var tensors = SafeTensors.Load(path);
        try
        {
            using var _ = no_grad();
            var expected = model.named_parameters().ToList();
            var missing = expected.Where(p => !tensors.ContainsKey(p.name)).Select(p => p.name).ToList();
            if (missing.Count > 0)
                throw new GptLabException($"{path} was saved from another model: it lacks {missing.Count} parameter(s), e.g. {missing[0]}");
            foreach (var (name, p) in expected)
            {
                var t = tensors[name];
                if (!t.shape.SequenceEqual(p.shape))
                    throw new GptLabException($"{path} was saved from another model: {name} is [{string.Join("×", t.shape)}], the model needs [{string.Join("×", p.shape)}]");
                p.copy_(t);
            }
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    internal static Dictionary<string, Tensor> LoadOptimizerState(string dir)
    {
        string path = Path.Combine(dir, OptimizerFile);
        return File.Exists(path) ? SafeTensors.Load(path) : [];
    }
}
