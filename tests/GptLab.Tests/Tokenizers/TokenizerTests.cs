using GptLab.Tokenizers;

namespace GptLab.Tests.Tokenizers;

public class TokenizerTests
{
    [Theory]
    [InlineData("Hello world", new[] { 15496, 995 })]
    [InlineData("hello world", new[] { 31373, 995 })]
    [InlineData(" ", new[] { 220 })]
    [InlineData("\n", new[] { 198 })]
    [InlineData("\n\n", new[] { 628 })]
    [InlineData("<|endoftext|>", new[] { 27, 91, 437, 1659, 5239, 91, 29 })]   // ordinary text (encode_ordinary)
    public void Gpt2_ids_equal_tiktoken(string text, int[] expected)
    {
        Assert.Equal(expected, new Gpt2Tokenizer().Encode(text));
    }

    [Theory]
    [InlineData("Fair is foul, and foul is fair: 𝄞 café — 日本語 🙂")]
    [InlineData("  leading and trailing spaces  \n\n\ttabs")]
    public void Gpt2_round_trips_text(string text)
    {
        var t = new Gpt2Tokenizer();
        Assert.Equal(text, t.Decode(t.Encode(text)));
    }

    [Fact]
    public void Char_tokenizer_sorts_characters_and_round_trips()
    {
        var t = new CharTokenizer("hello, world".EnumerateRunes().Select(r => r.Value), withEos: false);
        Assert.Equal(9, t.VocabSize);                  // ' ' ',' d e h l o r w
        Assert.Equal("hello, world", t.Decode(t.Encode("hello, world")));
        Assert.Equal(0, t.Encode(" ")[0]);
        Assert.Null(t.EosId);
    }

    [Fact]
    public void Char_tokenizer_names_unknown_characters()
    {
        var t = new CharTokenizer("abc".EnumerateRunes().Select(r => r.Value), withEos: false);
        var e = Assert.Throws<GptLabException>(() => t.Encode("abz!"));
        Assert.Contains("'z'", e.Message);
        Assert.Contains("'!'", e.Message);
    }

    [Fact]
    public void Char_tokenizer_saves_and_loads_with_astral_characters()
    {
        using var dir = new TempDir();
        var t = new CharTokenizer("a🙂b".EnumerateRunes().Select(r => r.Value), withEos: true);
        t.Save(dir.Path);
        var loaded = CharTokenizer.Load(dir.Path);
        Assert.Equal(t.VocabSize, loaded.VocabSize);
        Assert.Equal(t.EosId, loaded.EosId);
        Assert.Equal(t.Encode("b🙂a"), loaded.Encode("b🙂a"));
    }
}
