using System.Text;
using System.Text.RegularExpressions;

namespace GptLab.Data;

/// <summary>Which cleaning steps <c>gptlab prepare --clean</c> applies, in this order.</summary>
public sealed record CleanOptions
{
    public bool FixMojibake { get; init; }       // "â€™" → "’": UTF-8 that was decoded as Windows-1252
    public bool AsciiQuotes { get; init; }       // curly quotes, dashes, ellipsis, nbsp → ASCII
    public string? DropLinesRegex { get; init; } // drop lines matching this regex (page headers, footers)
    public bool JoinLines { get; init; }         // join hard-wrapped lines; blank lines stay paragraph breaks

    public bool Any => FixMojibake || AsciiQuotes || DropLinesRegex != null || JoinLines;

    public static CleanOptions Parse(IEnumerable<string> names, string? dropRegex)
    {
        var o = new CleanOptions { DropLinesRegex = string.IsNullOrEmpty(dropRegex) ? null : dropRegex };
        foreach (string n in names.SelectMany(s => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            o = n switch
            {
                "mojibake" => o with { FixMojibake = true },
                "quotes" => o with { AsciiQuotes = true },
                "join-lines" => o with { JoinLines = true },
                "all" => o with { FixMojibake = true, AsciiQuotes = true, JoinLines = true },
                _ => throw new GptLabException($"unknown --clean option '{n}' (expected mojibake, quotes, join-lines or all)"),
            };
        }
        return o;
    }
}

/// <summary>Deterministic text clean-up applied to every piece of a corpus before tokenization.</summary>
public sealed class TextCleaner
{
    private static readonly Encoding Cp1252;
    private static readonly Encoding StrictUtf8 = new UTF8Encoding(false, throwOnInvalidBytes: true);
    // A UTF-8 lead byte shown as Windows-1252 (Â Ã Ä … ð) followed by continuation bytes shown the same way.
    private static readonly Regex Mojibake = new(
        "[\u00C2-\u00F4][\u0080-\u00BF\u0152\u0153\u0160\u0161\u0178\u017D\u017E\u0192\u02C6\u02DC\u2013\u2014\u2018-\u201E\u2020-\u2022\u2026\u2030\u2039\u203A\u20AC\u2122]{1,3}",
        RegexOptions.Compiled);

    private readonly CleanOptions options;
    private readonly Regex? drop;

    static TextCleaner()
    {
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        Cp1252 = Encoding.GetEncoding(1252, EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback);
    }

    public TextCleaner(CleanOptions options)
    {
        this.options = options;
        if (options.DropLinesRegex != null)
        {
            try { drop = new Regex(options.DropLinesRegex, RegexOptions.Compiled | RegexOptions.Multiline); }
            catch (ArgumentException e) { throw new GptLabException($"--drop-lines: invalid regex ({e.Message})"); }
        }
    }

    public string Clean(string text)
    {
        if (options.FixMojibake) text = FixMojibake(text);
        if (options.AsciiQuotes) text = ToAsciiPunctuation(text);
        if (drop != null) text = DropLines(text, drop);
        if (options.JoinLines) text = JoinHardWrappedLines(text);
        return text;
    }

    public static string FixMojibake(string text) => Mojibake.Replace(text, m =>
    {
        try { return StrictUtf8.GetString(Cp1252.GetBytes(m.Value)); }
        catch (ArgumentException) { return m.Value; }   // not an encodable/decodable sequence: leave it
    });

    public static string ToAsciiPunctuation(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            switch (c)
            {
                case '\u2018' or '\u2019' or '\u201A' or '\u201B' or '\u2032': sb.Append('\''); break;
                case '\u201C' or '\u201D' or '\u201E' or '\u201F' or '\u2033': sb.Append('"'); break;
                case '\u2010' or '\u2011' or '\u2012' or '\u2013' or '\u2212': sb.Append('-'); break;
                case '\u2014' or '\u2015': sb.Append("--"); break;
                case '\u2026': sb.Append("..."); break;
                case '\u00A0' or '\u2009' or '\u202F': sb.Append(' '); break;
                default: sb.Append(c); break;
            }
        }
        return sb.ToString();
    }

    private static string DropLines(string text, Regex pattern)
    {
        var lines = text.Split('\n');
        return string.Join('\n', lines.Where(l => !pattern.IsMatch(l.TrimEnd('\r'))));
    }

    /// <summary>Joins lines separated by a single newline with a space; a blank line (paragraph break) stays.</summary>
    public static string JoinHardWrappedLines(string text)
    {
        var paragraphs = Regex.Split(text.Replace("\r\n", "\n"), "\n[ \t]*\n");
        return string.Join("\n\n", paragraphs.Select(p =>
            string.Join(' ', p.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0))));
    }
}
