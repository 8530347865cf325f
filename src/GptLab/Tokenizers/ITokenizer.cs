namespace GptLab.Tokenizers;

/// <summary>Text ↔ token ids. Every tokenizer is saved beside the shards so training and sampling reload exactly it.</summary>
public interface ITokenizer
{
    /// <summary>"char", "gpt2" or "bpe" — the kind written to meta.json.</summary>
    string Kind { get; }

    int VocabSize { get; }

    /// <summary>The end-of-text token written between documents, or null when the vocabulary has none.</summary>
    int? EosId { get; }

    /// <summary>Appends the ids of <paramref name="text"/> to <paramref name="ids"/>. Throws <see cref="GptLabException"/>
    /// for text the tokenizer cannot encode.</summary>
    void Encode(string text, List<int> ids);

    string Decode(ReadOnlySpan<int> ids);

    /// <summary>Writes the tokenizer's files into <paramref name="directory"/>; returns the main file's name.</summary>
    string Save(string directory);
}

public static class TokenizerExtensions
{
    public static int[] Encode(this ITokenizer tokenizer, string text)
    {
        var ids = new List<int>(text.Length / 2 + 4);
        tokenizer.Encode(text, ids);
        return [.. ids];
    }

    public static string Decode(this ITokenizer tokenizer, IEnumerable<int> ids) =>
        tokenizer.Decode(ids.ToArray().AsSpan());
}
