using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using GptLab.IO;
using Microsoft.ML.Tokenizers;

namespace GptLab.Tokenizers;

/// <summary>
/// A byte-level BPE trained by <see cref="BpeTrainer"/>. Encoding and decoding run through Microsoft.ML.Tokenizers'
/// TiktokenTokenizer (GPT-2's pre-tokenization regex, ranks = token ids). Saved as a Hugging Face
/// <c>tokenizer.json</c> (opens in Python's tokenizers/transformers) and as tiktoken ranks (<c>tokenizer.tiktoken</c>).
/// </summary>
public sealed class BpeTokenizer : ITokenizer
{
    public const string HfFile = "tokenizer.json";
    public const string RanksFile = "tokenizer.tiktoken";
    public const string EndOfText = "<|endoftext|>";

    private readonly ThreadLocal<TiktokenTokenizer> tokenizer;   // one per thread, as Gpt2Tokenizer's (prepare encodes in parallel)
    private readonly Dictionary<string, int> specials;

    public BpeTokenizer(BpeModel model)
    {
        Model = model;
        specials = model.Specials.Select((s, i) => (s, i)).ToDictionary(x => x.s, x => model.Tokens.Count + x.i, StringComparer.Ordinal);
        byte[] ranks = Encoding.UTF8.GetBytes(RanksText(model));
        tokenizer = new ThreadLocal<TiktokenTokenizer>(() =>
        {
            using var stream = new MemoryStream(ranks);
            return TiktokenTokenizer.Create(stream, new RegexPreTokenizer(new Regex(BpeTrainer.Gpt2Pattern, RegexOptions.Compiled), specials), null, specials);
        });
        EosId = specials.TryGetValue(EndOfText, out int eos) ? eos : null;
    }

    public BpeModel Model { get; }
    public string Kind => "bpe";
    public int VocabSize => Model.VocabSize;
    public int? EosId { get; }

    public void Encode(string text, List<int> ids) =>
        ids.AddRange(tokenizer.Value!.EncodeToIds(text, considerPreTokenization: true, considerNormalization: true));

    public string Decode(ReadOnlySpan<int> ids) => Encoding.UTF8.GetString(DecodeBytes(ids));

    /// <summary>The exact bytes of the tokens (special tokens as their UTF-8 text).</summary>
    public byte[] DecodeBytes(ReadOnlySpan<int> ids)
    {
        var bytes = new List<byte>(ids.Length * 4);
        foreach (int id in ids)
        {
            if (id >= 0 && id < Model.Tokens.Count) bytes.AddRange(Model.Tokens[id]);
            else if (id >= Model.Tokens.Count && id < VocabSize) bytes.AddRange(Encoding.UTF8.GetBytes(Model.Specials[id - Model.Tokens.Count]));
            else throw new GptLabException($"token id {id} is outside the vocabulary (size {VocabSize})");
        }
        return [.. bytes];
    }

    /// <summary>Encodes arbitrary bytes: valid UTF-8 runs as text, any other byte as its byte token — so
    /// <see cref="DecodeBytes"/> gives back exactly the input, even invalid UTF-8.</summary>
    public int[] EncodeBytes(ReadOnlySpan<byte> bytes)
    {
        var ids = new List<int>(bytes.Length / 2 + 4);
        int start = 0;
        while (start < bytes.Length)
        {
            int valid = ValidUtf8Prefix(bytes[start..]);
            if (valid > 0)
            {
                Encode(Encoding.UTF8.GetString(bytes.Slice(start, valid)), ids);
                start += valid;
            }
            else ids.Add(bytes[start++]);
        }
        return [.. ids];
    }

    private static int ValidUtf8Prefix(ReadOnlySpan<byte> s)
    {
        var status = System.Text.Unicode.Utf8.ToUtf16(s, new char[s.Length], out int read, out _, replaceInvalidSequences: false);
        return status == System.Buffers.OperationStatus.Done ? s.Length : read;
    }

    /// <summary>Writes the Hugging Face tokenizer.json and the tiktoken ranks to the given paths (each all-or-nothing).</summary>
    public void SaveAs(string hfPath, string ranksPath)
    {
        AtomicFile.WriteAllText(ranksPath, RanksText(Model));
        AtomicFile.WriteAllText(hfPath, HuggingFaceJson(Model));
    }

    public string Save(string directory)
    {
        AtomicFile.WriteAllText(Path.Combine(directory, RanksFile), RanksText(Model));
        AtomicFile.WriteAllText(Path.Combine(directory, HfFile), HuggingFaceJson(Model));
        return HfFile;
    }

    public static BpeTokenizer Load(string directory) => FromHuggingFaceFile(Path.Combine(directory, HfFile));

    /// <summary>Reads a byte-level BPE tokenizer.json (ours, or GPT-2-style ones from the Hugging Face hub).</summary>
    public static BpeTokenizer FromHuggingFaceFile(string path)
    {
        if (!File.Exists(path)) throw new GptLabException($"{path} not found — train a tokenizer with `gptlab tokenizer train`");
        JsonNode root;
        try { root = JsonNode.Parse(File.ReadAllText(path))!; }
        catch (JsonException e) { throw new GptLabException($"{path} is not valid JSON ({e.Message.Split('\n')[0]})"); }
        var model = root["model"];
        if (model?["type"]?.GetValue<string>() != "BPE" || model["vocab"] is not JsonObject vocab)
            throw new GptLabException($"{path} is not a BPE tokenizer.json (model.type must be BPE)");
        var decode = ByteDecoder;
        var specials = (root["added_tokens"] as JsonArray ?? []).Select(t => (Id: t!["id"]!.GetValue<int>(), Content: t["content"]!.GetValue<string>()))
            .OrderBy(t => t.Id).ToList();
        var specialIds = specials.Select(s => s.Id).ToHashSet();
        var tokens = new byte[vocab.Count - specials.Count(s => vocab.ContainsKey(s.Content))][];
        foreach (var (text, idNode) in vocab)
        {
            int id = idNode!.GetValue<int>();
            if (specialIds.Contains(id)) continue;
            if (id < 0 || id >= tokens.Length) throw new GptLabException($"{path}: token id {id} is outside 0…{tokens.Length - 1}");
            tokens[id] = text.Select(c => decode.TryGetValue(c, out byte b) ? b : throw new GptLabException($"{path}: '{text}' is not a byte-level token")).ToArray();
        }
        if (tokens.Any(t => t is null)) throw new GptLabException($"{path}: the vocabulary has gaps");
        var merges = (model["merges"] as JsonArray ?? []).Select(m =>
        {
            var parts = m is JsonArray a ? [a[0]!.GetValue<string>(), a[1]!.GetValue<string>()] : m!.GetValue<string>().Split(' ');
            return (vocab[parts[0]]!.GetValue<int>(), vocab[parts[1]]!.GetValue<int>());
        }).ToList();
        if (specials.Any(s => s.Id != tokens.Length + specials.IndexOf(s)))
            throw new GptLabException($"{path}: special tokens must follow the BPE tokens");
        return new BpeTokenizer(new BpeModel(tokens, merges, specials.Select(s => s.Content).ToList()));
    }

    private static string RanksText(BpeModel m)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < m.Tokens.Count; i++) sb.Append(Convert.ToBase64String(m.Tokens[i])).Append(' ').Append(i).Append('\n');
        return sb.ToString();
    }

    /// <summary>GPT-2's bytes_to_unicode: every byte as a printable character, as byte-level BPE vocabularies spell them.</summary>
    public static readonly IReadOnlyDictionary<byte, char> ByteEncoder = BuildByteEncoder();
    private static readonly Dictionary<char, byte> ByteDecoder = ByteEncoder.ToDictionary(kv => kv.Value, kv => kv.Key);

    private static Dictionary<byte, char> BuildByteEncoder()
    {
        var bs = Enumerable.Range('!', '~' - '!' + 1).Concat(Enumerable.Range('¡', '¬' - '¡' + 1)).Concat(Enumerable.Range('®', 'ÿ' - '®' + 1)).ToList();
        var map = bs.ToDictionary(b => (byte)b, b => (char)b);
        int n = 0;
        for (int b = 0; b < 256; b++)
            if (!map.ContainsKey((byte)b)) map[(byte)b] = (char)(256 + n++);
        return map;
    }

    /// <summary>A token's bytes as byte-level BPE vocabularies spell them.</summary>
    internal static string Spell(byte[] token) => new(token.Select(b => ByteEncoder[b]).ToArray());

    /// <summary>The Hugging Face tokenizer.json of a byte-level BPE (vocabulary, merges, special tokens).</summary>
    internal static string HuggingFaceJson(BpeModel m)
    {
        var vocab = new JsonObject();
        for (int i = 0; i < m.Tokens.Count; i++) vocab[Spell(m.Tokens[i])] = i;
        var added = new JsonArray();
        for (int i = 0; i < m.Specials.Count; i++)
        {
            vocab[m.Specials[i]] = m.Tokens.Count + i;
            added.Add(HfTokenizerJson.Special(m.Tokens.Count + i, m.Specials[i]));
        }
        var byteLevel = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = true };
        return HfTokenizerJson.Root(added, byteLevel, byteLevel.DeepClone(), new JsonObject
        {
            ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = null, ["end_of_word_suffix"] = null,
            ["fuse_unk"] = false, ["byte_fallback"] = false, ["ignore_merges"] = false, ["vocab"] = vocab,
            ["merges"] = new JsonArray(m.Merges.Select(x => (JsonNode?)new JsonArray(Spell(m.Tokens[x.Left]), Spell(m.Tokens[x.Right]))).ToArray()),
        }, postProcessor: byteLevel.DeepClone());
    }
}
