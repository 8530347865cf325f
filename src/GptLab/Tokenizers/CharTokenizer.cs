using System.Text;
using System.Text.Json;
using GptLab.IO;

namespace GptLab.Tokenizers;

/// <summary>
/// nanoGPT's shakespeare_char tokenizer: the sorted set of characters (Unicode code points) of the corpus.
/// A corpus of several documents also gets an end-of-text token, the last id.
/// </summary>
public sealed class CharTokenizer : ITokenizer
{
    public const string FileName = "tokenizer.json";
    public const string EndOfText = "<|endoftext|>";

    private readonly int[] chars;                 // id → code point
    private readonly Dictionary<int, int> ids;     // code point → id
    private readonly int[] ascii = new int[128];   // fast path, -1 = unknown

    public CharTokenizer(IEnumerable<int> codePoints, bool withEos)
    {
        chars = codePoints.Distinct().Order().ToArray();
        ids = new Dictionary<int, int>(chars.Length);
        Array.Fill(ascii, -1);
        for (int i = 0; i < chars.Length; i++)
        {
            ids[chars[i]] = i;
            if (chars[i] < 128) ascii[chars[i]] = i;
        }
        EosId = withEos ? chars.Length : null;
    }

    public string Kind => "char";
    public int VocabSize => chars.Length + (EosId is null ? 0 : 1);
    public int? EosId { get; }

    /// <summary>The characters in id order.</summary>
    public IReadOnlyList<int> CodePoints => chars;

    public void Encode(string text, List<int> output)
    {
        List<int>? unknown = null;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c < 128 && ascii[c] >= 0) { output.Add(ascii[c]); continue; }
            int cp = c;
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                cp = char.ConvertToUtf32(c, text[++i]);
            if (ids.TryGetValue(cp, out int id)) output.Add(id);
            else (unknown ??= []).Add(cp);
        }
        if (unknown != null)
        {
            string shown = string.Join(" ", unknown.Distinct().Take(10).Select(Describe));
            throw new GptLabException(
                $"the text has characters this character-level tokenizer never saw: {shown} — remove them or prepare the data with them");
        }
    }

    public string Decode(ReadOnlySpan<int> tokens)
    {
        var sb = new StringBuilder(tokens.Length);
        foreach (int t in tokens)
        {
            if (t >= 0 && t < chars.Length) sb.Append(char.ConvertFromUtf32(chars[t]));
            else if (t == EosId) sb.Append('\n');
            else throw new GptLabException($"token id {t} is outside the vocabulary (size {VocabSize})");
        }
        return sb.ToString();
    }

    public string Save(string directory)
    {
        var file = new CharTokenizerFile
        {
            Kind = Kind,
            Chars = chars.Select(char.ConvertFromUtf32).ToArray(),
            Eos = EosId is null ? null : EndOfText,
        };
        Json.Write(Path.Combine(directory, FileName), file);
        return FileName;
    }

    public static CharTokenizer Load(string directory)
    {
        var file = Json.Read<CharTokenizerFile>(Path.Combine(directory, FileName), "re-run `gptlab prepare`");
        return new CharTokenizer(file.Chars.Select(s => char.ConvertToUtf32(s, 0)), file.Eos != null);
    }

    private static string Describe(int cp) =>
        cp < 32 || cp == 127 ? $"U+{cp:X4}" : $"'{char.ConvertFromUtf32(cp)}' (U+{cp:X4})";

    private sealed class CharTokenizerFile
    {
        public string Kind { get; set; } = "char";
        public string[] Chars { get; set; } = [];
        [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.Never)]
        public string? Eos { get; set; }   // "<|endoftext|>" or null: written either way, as the README says
    }
}
