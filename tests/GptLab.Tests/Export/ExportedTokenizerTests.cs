using GptLab.Export;

namespace GptLab.Tests.Export;

/// <summary>The tokenizer.json an export writes, read back by GptLab.Inference, gives every kind's ids and text.</summary>
public class ExportedTokenizerTests
{
    private static readonly string Text = Tiny.ShakespeareText(3000) + " naïve café — 日本語 ok? 'tis, we'll 42 ";

    public static TheoryData<string> Kinds => new() { "char", "ascii-char", "gpt2", "bpe", "word" };

    private static ITokenizer Make(string kind) => kind switch
    {
        "char" => new CharTokenizer(Text.EnumerateRunes().Select(r => r.Value), withEos: true),
        "ascii-char" => new CharTokenizer(Text.Where(c => c < 128).Select(c => (int)c), withEos: true),
        "gpt2" => new Gpt2Tokenizer(),
        "bpe" => new BpeTokenizer(BpeTrainer.Train(BpeTrainer.CountWords([Text], [CharTokenizer.EndOfText]), 256 + 200, [CharTokenizer.EndOfText])),
        _ => WordTokenizer.FromCounts(WordTokenizer.Count([Text]), 300, 1, withEos: true),
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void TheExportedTokenizerEncodesAndDecodesAsGptLabs(string kind)
    {
        var tok = Make(kind);
        using var dir = new TempDir();
        File.WriteAllText(dir["tokenizer.json"], HfTokenizerJson.Of(tok));
        var exported = Inference.Tokenizer.Load(dir.Path);
        string sample = kind == "ascii-char" ? Text[^470..^70] : Text[^400..];
        int[] expected = tok.Encode(sample);
        Assert.Equal(expected, exported.Encode(sample));
        Assert.Equal(tok.Decode(expected.AsSpan()), exported.Decode(expected));
        Assert.Equal(tok.VocabSize, exported.VocabSize);
        Assert.Equal(tok.EosId, exported.EosId);
        if (kind != "word") Assert.Equal(sample, exported.Decode(exported.Encode(sample)));   // word: pieces outside the vocabulary are <unk>
    }

    [Fact]
    public void GptTwosMergesRebuildEveryTokenFromTwoEarlierOnes()
    {
        var m = Gpt2Tokenizer.AsBpeModel();
        Assert.Equal(50256, m.Tokens.Count);
        Assert.Equal(50256 - 256, m.Merges.Count);
        for (int i = 0; i < m.Merges.Count; i++)
        {
            var (l, r) = m.Merges[i];
            Assert.True(l < 256 + i && r < 256 + i);
            Assert.Equal(m.Tokens[256 + i], m.Tokens[l].Concat(m.Tokens[r]).ToArray());
        }
    }
}
