namespace GptLab.Tokenizers;

/// <summary>Loads the tokenizer saved beside a prepared dataset or in a checkpoint.</summary>
public static class TokenizerStore
{
    public static readonly string[] Kinds = ["char", "gpt2", "bpe", "word"];

    public static ITokenizer Load(string directory, string kind) => kind switch
    {
        "char" => CharTokenizer.Load(directory),
        "gpt2" => new Gpt2Tokenizer(),
        "bpe" => BpeTokenizer.Load(directory),
        "word" => WordTokenizer.Load(directory),
        _ => throw new GptLabException($"unknown tokenizer kind '{kind}' (expected one of: {string.Join(", ", Kinds)})"),
    };

    /// <summary>Copies a tokenizer's files from one directory into another (dataset → checkpoint).</summary>
    public static void CopyFiles(string from, string to)
    {
        foreach (var f in Directory.GetFiles(from, "tokenizer*"))
            File.Copy(f, Path.Combine(to, Path.GetFileName(f)), overwrite: true);
    }
}
