using GptLab.IO;
using GptLab.Tokenizers;

namespace GptLab.Data;

/// <summary>A prepared dataset opened for reading: meta, tokenizer and memory-mapped shards.</summary>
public sealed class Dataset : IDisposable
{
    private Dataset(string directory, DatasetMeta meta, ITokenizer tokenizer, TokenShard train, TokenShard val)
    {
        Directory = directory;
        Meta = meta;
        Tokenizer = tokenizer;
        Train = train;
        Val = val;
    }

    public string Directory { get; }
    public DatasetMeta Meta { get; }
    public ITokenizer Tokenizer { get; }
    public TokenShard Train { get; }
    public TokenShard Val { get; }

    public TokenShard Split(string name) => name switch
    {
        "train" => Train,
        "val" => Val,
        _ => throw new GptLabException($"unknown split '{name}' (expected train or val)"),
    };

    public static Dataset Open(string directory)
    {
        string metaPath = Path.Combine(directory, DatasetMeta.FileName);
        if (!File.Exists(metaPath))
            throw new GptLabException(NotADataset(directory));
        var meta = Json.Read<DatasetMeta>(metaPath, "re-run `gptlab prepare`");
        var tokenizer = TokenizerStore.Load(directory, meta.Tokenizer.Kind);
        if (tokenizer.VocabSize != meta.Tokenizer.VocabSize)
            throw new GptLabException($"{directory}: meta.json says vocab {meta.Tokenizer.VocabSize:N0} but the tokenizer has {tokenizer.VocabSize:N0} — re-run `gptlab prepare`");
        var train = TokenShard.Open(Path.Combine(directory, "train.bin"), !meta.Header);
        var val = TokenShard.Open(Path.Combine(directory, "val.bin"), !meta.Header);
        try
        {
            // a token id past the vocabulary would fail deep in the model ("index out of range in self"): say which file
            foreach (var shard in new[] { train, val })
                if (shard.MaxToken() is long max && max >= tokenizer.VocabSize)
                    throw new GptLabException($"{shard.Path} holds token id {max:N0}, but the dataset's {meta.Tokenizer.Kind} tokenizer has only {tokenizer.VocabSize:N0} ids — the shard was made with another tokenizer: re-run `gptlab prepare`");
        }
        catch
        {
            train.Dispose();
            val.Dispose();
            throw;
        }
        return new Dataset(directory, meta, tokenizer, train, val);
    }

    /// <summary>nanoGPT's data folder: train.bin and val.bin without GptLab's meta.json (import reads it).</summary>
    public static bool IsNanoGptFolder(string dir) =>
        File.Exists(Path.Combine(dir, "train.bin")) && File.Exists(Path.Combine(dir, "val.bin")) && !File.Exists(Path.Combine(dir, DatasetMeta.FileName));

    /// <summary>What to say of a folder that holds no meta.json: import a nanoGPT data folder; never advise writing
    /// over a folder GptLab did not make.</summary>
    public static string NotADataset(string directory)
    {
        if (IsNanoGptFolder(directory))
            return $"{directory} is a nanoGPT data folder (train.bin, val.bin{(File.Exists(Path.Combine(directory, "meta.pkl")) ? ", meta.pkl" : "")}), not a GptLab dataset — import it (the folder is left as it is): `gptlab import {directory} --out data/{Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory)))}`";
        bool empty = !System.IO.Directory.Exists(directory) || !System.IO.Directory.EnumerateFileSystemEntries(directory).Any();
        return empty
            ? $"{directory} is not a prepared dataset (no meta.json) — run `gptlab prepare SOURCE --out {directory}`"
            : $"{directory} is not a prepared dataset (no meta.json) — prepare one into a new folder: `gptlab prepare SOURCE --out data/NAME`";
    }

    public void Dispose()
    {
        Train.Dispose();
        Val.Dispose();
    }
}
