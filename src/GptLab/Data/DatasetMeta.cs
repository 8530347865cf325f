using GptLab.IO;
using GptLab.Tokenizers;

namespace GptLab.Data;

/// <summary>meta.json beside a prepared dataset's shards.</summary>
public sealed record DatasetMeta
{
    public const string FileName = "meta.json";
    public int FormatVersion { get; init; } = 1;
    public string Name { get; init; } = "";
    public TokenizerInfo Tokenizer { get; init; } = new();
    public bool Header { get; init; } = true;           // false: nanoGPT's raw uint16 train.bin/val.bin
    public string TokenDtype { get; init; } = "uint16";
    public SplitInfo Train { get; init; } = new();
    public SplitInfo Val { get; init; } = new();
    public SourceInfo Source { get; init; } = new();
    public Dictionary<string, string> Options { get; init; } = [];
    public DateTime CreatedUtc { get; init; }

    public sealed record TokenizerInfo
    {
        public string Kind { get; init; } = "char";
        public int VocabSize { get; init; }
        public int? EosId { get; init; }
        public string File { get; init; } = "tokenizer.json";
    }

    public sealed record SplitInfo
    {
        public long Tokens { get; init; }
        public long Documents { get; init; }
        public long Chars { get; init; }
        public long Bytes { get; init; }   // UTF-8 bytes of the split's text
    }

    public sealed record SourceInfo
    {
        public string Description { get; init; } = "";
        public long Bytes { get; init; }
        public string Sha256 { get; init; } = "";
    }

    /// <summary>A short id of the data (source hash and token counts) recorded in checkpoints.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string Fingerprint => $"{Source.Sha256[..Math.Min(16, Source.Sha256.Length)]}-{Tokenizer.Kind}{Tokenizer.VocabSize}-{Train.Tokens}-{Val.Tokens}";
}

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
            throw new GptLabException($"{directory} is not a prepared dataset (no meta.json) — run `gptlab prepare SOURCE --out {directory}`");
        var meta = Json.Read<DatasetMeta>(metaPath, "re-run `gptlab prepare`");
        var tokenizer = TokenizerStore.Load(directory, meta.Tokenizer.Kind);
        if (tokenizer.VocabSize != meta.Tokenizer.VocabSize)
            throw new GptLabException($"{directory}: meta.json says vocab {meta.Tokenizer.VocabSize:N0} but the tokenizer has {tokenizer.VocabSize:N0} — re-run `gptlab prepare`");
        var train = TokenShard.Open(Path.Combine(directory, "train.bin"), !meta.Header);
        var val = TokenShard.Open(Path.Combine(directory, "val.bin"), !meta.Header);
        return new Dataset(directory, meta, tokenizer, train, val);
    }

    public void Dispose()
    {
        Train.Dispose();
        Val.Dispose();
    }
}
