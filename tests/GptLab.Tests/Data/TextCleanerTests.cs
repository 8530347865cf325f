using GptLab.Data;

namespace GptLab.Tests.Data;

public class TextCleanerTests
{
    [Theory]
    [InlineData("isn\u00E2\u20AC\u2122t", "isn\u2019t")]
    [InlineData("caf\u00C3\u00A9", "café")]
    [InlineData("already fine: café", "already fine: café")]
    public void Mojibake_is_repaired(string input, string expected) => Assert.Equal(expected, TextCleaner.FixMojibake(input));

    [Fact]
    public void Curly_quotes_and_dashes_become_ascii() =>
        Assert.Equal("'a' \"b\" c - d -- e...", TextCleaner.ToAsciiPunctuation("\u2018a\u2019 \u201Cb\u201D c \u2013 d \u2014 e\u2026"));

    [Fact]
    public void Hard_wrapped_lines_join_and_paragraphs_stay() =>
        Assert.Equal("one two three\n\nfour five", TextCleaner.JoinHardWrappedLines("one\ntwo\nthree\n\nfour\nfive\n"));

    [Fact]
    public void Lines_matching_the_regex_are_dropped() =>
        Assert.Equal("keep\nalso", new TextCleaner(new CleanOptions { DropLinesRegex = "^-- \\d+ --$" }).Clean("keep\n-- 12 --\nalso"));

    [Fact]
    public void Unknown_clean_option_is_an_error() =>
        Assert.Throws<GptLabException>(() => CleanOptions.Parse(["quotes,bogus"], null));
}
