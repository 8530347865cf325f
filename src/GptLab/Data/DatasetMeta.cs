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
