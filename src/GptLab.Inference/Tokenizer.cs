using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace GptLab.Inference;

/// <summary>
/// The tokenizer of an exported model, read from its Hugging Face <c>tokenizer.json</c>: byte-level BPE (GPT-2 and
/// GptLab's trained BPE; run by Microsoft.ML.Tokenizers' tiktoken engine with GPT-2's pre-tokenization, the BPE
/// ranks being the token ids), characters (a BPE without merges) or words (WordLevel split by a pattern).
/// </summary>
public sealed class Tokenizer
{
    private const string Gpt2Pattern = @"'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    private readonly byte[][] bytes;                       // id → the token's UTF-8 bytes (special tokens: see below)
    private readonly TiktokenTokenizer? byteLevel;
    private readonly Dictionary<string, int>? pieces;       // char and word vocabularies
    private readonly Regex? splitter;                       // word: the pattern that cuts text into pieces
    private readonly int? unknown;
    private readonly Dictionary<string, int> specials;

    private Tokenizer(byte[][] bytes, TiktokenTokenizer? byteLevel, Dictionary<string, int>? pieces, Regex? splitter, int? unknown, Dictionary<string, int> specials)
    {
        this.bytes = bytes;
        this.byteLevel = byteLevel;
        this.pieces = pieces;
        this.splitter = splitter;
        this.unknown = unknown;
        this.specials = specials;
    }

    public int VocabSize => bytes.Length;

    /// <summary>The end-of-text token, when the vocabulary has one.</summary>
    public int? EosId => specials.TryGetValue("<|endoftext|>", out int id) ? id : null;

    public int[] Encode(string text)
    {
        if (byteLevel is not null)
        {
            try { return [.. byteLevel.EncodeToIds(text)]; }
            catch (KeyNotFoundException) { throw new InferenceException("the text has a character this model's vocabulary cannot spell (a byte it never saw)"); }
        }
        var ids = new List<int>(text.Length);
        if (splitter is not null)
        {
            foreach (Match m in splitter.Matches(text)) ids.Add(pieces!.TryGetValue(m.Value, out int id) ? id : unknown ?? 0);
            return [.. ids];
        }
        for (int i = 0; i < text.Length; i++)
        {
            string ch = char.IsHighSurrogate(text[i]) && i + 1 < text.Length ? text.Substring(i++, 2) : text[i].ToString();
            if (!pieces!.TryGetValue(ch, out int id))
                throw new InferenceException($"the text has a character this model's vocabulary never saw: '{ch}' (U+{char.ConvertToUtf32(ch, 0):X4})");
            ids.Add(id);
        }
        return [.. ids];
    }

    public string Decode(ReadOnlySpan<int> ids)
    {
        var buffer = new List<byte>(ids.Length * 2);
        foreach (int id in ids) buffer.AddRange(Bytes(id));
        return Encoding.UTF8.GetString([.. buffer]);
    }

    /// <summary>A token's bytes; the end-of-text token of a char or word vocabulary is a newline, as in GptLab.</summary>
    public ReadOnlySpan<byte> Bytes(int id) =>
        (uint)id < (uint)bytes.Length ? bytes[id] : throw new InferenceException($"token id {id} is outside the vocabulary (size {bytes.Length})");

    public static Tokenizer Load(string directory)
    {
        string path = Path.Combine(directory, "tokenizer.json");
        var root = JsonFile.Read(directory, "tokenizer.json");
        var model = root["model"] as JsonObject ?? throw new InferenceException($"{path} has no model");
        var vocab = model["vocab"] as JsonObject ?? throw new InferenceException($"{path} has no vocabulary");
        var specials = (root["added_tokens"] as JsonArray ?? []).ToDictionary(t => t!["content"]!.GetValue<string>(), t => t!["id"]!.GetValue<int>(), StringComparer.Ordinal);
        var table = new byte[vocab.Count][];
        string type = model["type"]?.GetValue<string>() ?? "";
        bool isByteLevel = root["decoder"]?["type"]?.GetValue<string>() == "ByteLevel";
        var decodeByte = ByteDecoder();
        foreach (var (text, idNode) in vocab)
        {
            int id = idNode!.GetValue<int>();
            if ((uint)id >= (uint)table.Length) throw new InferenceException($"{path}: token id {id} is outside 0…{table.Length - 1}");
            table[id] = specials.ContainsKey(text)
                ? Encoding.UTF8.GetBytes(isByteLevel || text != "<|endoftext|>" ? text : "\n")
                : isByteLevel ? text.Select(c => decodeByte.TryGetValue(c, out byte b) ? b : throw new InferenceException($"{path}: '{text}' is not a byte-level token")).ToArray()
                : Encoding.UTF8.GetBytes(text);
        }
        if (table.Any(t => t is null)) throw new InferenceException($"{path}: the vocabulary has gaps");
        if (type == "BPE" && isByteLevel)
        {
            // tiktoken ranks: every non-special token by id (the merge order of GPT-2-style vocabularies)
            var ranks = new StringBuilder();
            for (int i = 0; i < table.Length; i++)
                if (!specials.ContainsValue(i)) ranks.Append(Convert.ToBase64String(table[i])).Append(' ').Append(i).Append('\n');
            using var stream = new MemoryStream(Encoding.UTF8.GetBytes(ranks.ToString()));
            var tik = TiktokenTokenizer.Create(stream, new RegexPreTokenizer(new Regex(Gpt2Pattern, RegexOptions.Compiled), specials), null, specials);
            return new Tokenizer(table, tik, null, null, null, specials);
        }
        var lookup = vocab.ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<int>(), StringComparer.Ordinal);
        if (type == "WordLevel")
        {
            string pattern = root["pre_tokenizer"]?["pattern"]?["Regex"]?.GetValue<string>() ?? throw new InferenceException($"{path}: a WordLevel tokenizer needs a Split pre_tokenizer with a Regex");
            int? unk = model["unk_token"]?.GetValue<string>() is string u && lookup.TryGetValue(u, out int uid) ? uid : null;
            return new Tokenizer(table, null, lookup, new Regex(pattern, RegexOptions.Compiled), unk, specials);
        }
        if (type == "BPE" && (model["merges"] as JsonArray ?? []).Count == 0)
            return new Tokenizer(table, null, lookup, null, null, specials);
        throw new InferenceException($"{path}: a {type} tokenizer is not supported (byte-level BPE, characters or WordLevel)");
    }

    /// <summary>GPT-2's bytes_to_unicode, inverted: the printable character each byte is spelled with.</summary>
    private static Dictionary<char, byte> ByteDecoder()
    {
        var printable = Enumerable.Range('!', '~' - '!' + 1).Concat(Enumerable.Range('¡', '¬' - '¡' + 1)).Concat(Enumerable.Range('®', 'ÿ' - '®' + 1)).ToHashSet();
        var map = new Dictionary<char, byte>();
        int n = 0;
        for (int b = 0; b < 256; b++) map[printable.Contains(b) ? (char)b : (char)(256 + n++)] = (byte)b;
        return map;
    }
}
