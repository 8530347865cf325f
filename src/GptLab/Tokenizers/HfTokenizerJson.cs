using System.Text.Json;
using System.Text.Json.Nodes;

namespace GptLab.Tokenizers;

/// <summary>
/// Every GptLab tokenizer as a Hugging Face <c>tokenizer.json</c>, so an exported model carries a tokenizer other
/// consumers load (transformers, transformers.js, GptLab.Inference): byte-level BPE for gpt2, trained BPE and ASCII
/// characters; a BPE without merges over the characters (decoder Fuse) for other character vocabularies; WordLevel split by the word pattern for word.
/// </summary>
internal static class HfTokenizerJson
{
    public static string Of(ITokenizer tokenizer) => tokenizer switch
    {
        BpeTokenizer bpe => BpeTokenizer.HuggingFaceJson(bpe.Model),
        Gpt2Tokenizer => BpeTokenizer.HuggingFaceJson(Gpt2Tokenizer.AsBpeModel()),
        CharTokenizer ch when ch.CodePoints.All(cp => cp < 128) => BpeTokenizer.HuggingFaceJson(AsciiBytes(ch)),
        CharTokenizer ch => Char(ch),
        WordTokenizer w => Word(w),
        _ => throw new GptLabException($"the {tokenizer.Kind} tokenizer has no tokenizer.json form"),
    };

    /// <summary>An ASCII character vocabulary is a byte-level BPE without merges: each character is its byte, spelled
    /// as GPT-2 spells bytes (' ' is 'Ġ'). Consumers that assume byte-level BPE (ONNX Runtime GenAI's tokenizer, llama.cpp)
    /// then read it too.</summary>
    internal static BpeModel AsciiBytes(CharTokenizer t) =>
        new(t.CodePoints.Select(cp => new[] { (byte)cp }).ToList(), [], t.EosId is null ? [] : [CharTokenizer.EndOfText]);

    private static string Char(CharTokenizer t)
    {
        var vocab = new JsonObject();
        for (int i = 0; i < t.CodePoints.Count; i++) vocab[char.ConvertFromUtf32(t.CodePoints[i])] = i;
        var added = new JsonArray();
        if (t.EosId is int eos)
        {
            vocab[CharTokenizer.EndOfText] = eos;
            added.Add(Special(eos, CharTokenizer.EndOfText));
        }
        return Root(added, null, new JsonObject { ["type"] = "Fuse" }, new JsonObject
        {
            ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = null, ["end_of_word_suffix"] = null,
            ["fuse_unk"] = false, ["byte_fallback"] = false, ["ignore_merges"] = false, ["vocab"] = vocab, ["merges"] = new JsonArray(),
        });
    }

    private static string Word(WordTokenizer t)
    {
        var vocab = new JsonObject();
        var added = new JsonArray { Special(t.UnknownId, WordTokenizer.Unknown) };
        for (int i = 0; i < t.VocabSize; i++)
        {
            string piece = t.Piece(i);
            vocab[piece] = i;
            if (i == t.EosId) added.Add(Special(i, piece));
        }
        var split = new JsonObject { ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = WordTokenizer.Pattern }, ["behavior"] = "Isolated", ["invert"] = false };
        return Root(added, split, new JsonObject { ["type"] = "Fuse" }, new JsonObject { ["type"] = "WordLevel", ["vocab"] = vocab, ["unk_token"] = WordTokenizer.Unknown });
    }

    /// <summary>One entry of added_tokens: a special token matched whole.</summary>
    public static JsonObject Special(int id, string content) => new()
    {
        ["id"] = id, ["content"] = content, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false, ["normalized"] = false, ["special"] = true,
    };

    /// <summary>The file around a model: version, added tokens, pre-tokenizer, post-processor and decoder, in the
    /// key order Hugging Face's tokenizers writes.</summary>
    public static string Root(JsonArray added, JsonNode? preTokenizer, JsonNode decoder, JsonObject model, JsonNode? postProcessor = null) => new JsonObject
    {
        ["version"] = "1.0", ["truncation"] = null, ["padding"] = null, ["added_tokens"] = added, ["normalizer"] = null,
        ["pre_tokenizer"] = preTokenizer, ["post_processor"] = postProcessor, ["decoder"] = decoder, ["model"] = model,
    }.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
}
