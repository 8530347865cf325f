using System.Text;
using System.Text.RegularExpressions;
using GptLab.IO;

namespace GptLab.Tokenizers;

/// <summary>
/// Words and punctuation as tokens: text is cut by <see cref="Pattern"/> (GPT-2's pre-tokenization, but punctuation
/// one character at a time) — a word keeps the space before it (" the"), a contraction's tail (<c>'s</c>, <c>'ll</c>)
/// and each punctuation mark are tokens of their own, and runs of whitespace are one token. The vocabulary is the
/// <c>--vocab-size</c> most frequent pieces seen at least <c>--min-count</c> times (ties: ordinal order), after
/// <c>&lt;unk&gt;</c> (id 0, every other piece) and, for a corpus of several documents, the end-of-text token (id 1).
/// Text whose pieces are all in the vocabulary decodes back exactly.
/// </summary>
public sealed partial class WordTokenizer : ITokenizer
{
    public const string Pattern = @"'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]|\s+(?!\S)|\s+";
    public const string Unknown = "<unk>";
    public const string FileName = "tokenizer.json";

    private readonly string[] words;                  // id → piece
    private readonly Dictionary<string, int> ids;

    public WordTokenizer(IEnumerable<string> vocabulary, bool withEos)
    {
        var list = new List<string> { Unknown };
        if (withEos) list.Add(CharTokenizer.EndOfText);
        list.AddRange(vocabulary.Where(w => w is not (Unknown or CharTokenizer.EndOfText)));
        words = [.. list];
        ids = new Dictionary<string, int>(words.Length, StringComparer.Ordinal);
        for (int i = 0; i < words.Length; i++) ids.TryAdd(words[i], i);
        EosId = withEos ? 1 : null;
    }

    /// <summary>The vocabulary of a corpus: its <paramref name="vocabSize"/> most frequent pieces (counting the specials)
    /// seen at least <paramref name="minCount"/> times.</summary>
    public static WordTokenizer FromCounts(IReadOnlyDictionary<string, long> counts, int vocabSize, int minCount, bool withEos)
    {
        int room = vocabSize - 1 - (withEos ? 1 : 0);
        var kept = counts.Where(kv => kv.Value >= minCount).OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal)
            .Take(Math.Max(0, room)).Select(kv => kv.Key);
        return new WordTokenizer(kept, withEos);
    }

    /// <summary>Counts the pieces of <paramref name="texts"/>.</summary>
    public static Dictionary<string, long> Count(IEnumerable<string> texts)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var text in texts)
            foreach (var m in Splitter().EnumerateMatches(text))
            {
                var piece = text.AsSpan(m.Index, m.Length);
                var lookup = counts.GetAlternateLookup<ReadOnlySpan<char>>();
                lookup[piece] = lookup.TryGetValue(piece, out long c) ? c + 1 : 1;
            }
        return counts;
    }

    public string Kind => "word";
    public int VocabSize => words.Length;
    public int? EosId { get; }
    public int UnknownId => 0;

    /// <summary>The text of token <paramref name="id"/> (the end-of-text token as <c>&lt;|endoftext|&gt;</c>).</summary>
    public string Piece(int id) => words[id];

    public void Encode(string text, List<int> output)
    {
        var lookup = ids.GetAlternateLookup<ReadOnlySpan<char>>();
        foreach (var m in Splitter().EnumerateMatches(text))
            output.Add(lookup.TryGetValue(text.AsSpan(m.Index, m.Length), out int id) ? id : 0);
    }

    public string Decode(ReadOnlySpan<int> tokens)
    {
        var sb = new StringBuilder(tokens.Length * 5);
        foreach (int t in tokens)
        {
            if ((uint)t >= (uint)words.Length) throw new GptLabException($"token id {t} is outside the vocabulary (size {VocabSize})");
            sb.Append(t == EosId ? "\n" : words[t]);
        }
        return sb.ToString();
    }

    public string Save(string directory)
    {
        Json.Write(Path.Combine(directory, FileName), new WordTokenizerFile { Pattern = Pattern, Unk = Unknown, Eos = EosId is null ? null : CharTokenizer.EndOfText, Words = words[(EosId is null ? 1 : 2)..] });
        return FileName;
    }

    public static WordTokenizer Load(string directory)
    {
        var file = Json.Read<WordTokenizerFile>(Path.Combine(directory, FileName), "re-run `gptlab prepare`");
        if (file.Pattern != Pattern) throw new GptLabException($"{directory}: the word tokenizer was made with another pattern — re-run `gptlab prepare`");
        return new WordTokenizer(file.Words, file.Eos is not null);
    }

    [GeneratedRegex(Pattern)]
    private static partial Regex Splitter();

    private sealed class WordTokenizerFile
    {
        public string Kind { get; set; } = "word";
        public string Pattern { get; set; } = "";
        public string Unk { get; set; } = Unknown;
        [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.Never)]
        public string? Eos { get; set; }
        public string[] Words { get; set; } = [];   // ids from 1 (2 with an end-of-text token) on, most frequent first
    }
}
