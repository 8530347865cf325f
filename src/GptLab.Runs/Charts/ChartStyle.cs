using GptLab.IO;
using ScottPlot;

namespace GptLab.Runs.Charts;

/// <summary>Shared look of every chart GptLab draws (ScottPlot, PNG).</summary>
internal static class ChartStyle
{
    public const int Width = 900;
    public const int Height = 520;

    public static Plot New(string title, string xLabel, string yLabel)
    {
        var plot = new Plot();
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        return plot;
    }

    public static void Save(Plot plot, string path, int width = Width, int height = Height)
    {
        AtomicFile.Write(path, tmp => plot.SavePng(tmp, width, height));
    }

    /// <summary>A label safe to draw: control characters shown as escapes (a newline token shows as \n).</summary>
    public static string Printable(string s) =>
        string.Concat(s.Select(c => c switch { '\n' => "\\n", '\t' => "\\t", '\r' => "\\r", ' ' => "␣", _ when char.IsControl(c) => $"\\x{(int)c:X2}", _ => c.ToString() }));
}

/// <summary>Bar chart of next-token probabilities (`gptlab predict --chart`).</summary>
internal static class NextTokenChart
{
    public static void Save(string path, string prompt, IReadOnlyList<(string Token, double Probability)> top)
    {
        string shown = prompt.Length > 60 ? "…" + prompt[^60..] : prompt;
        var plot = ChartStyle.New($"Next token after \"{shown.Replace("\n", "\\n")}\"", "token (␣ = space)", "probability");
        var bars = plot.Add.Bars(top.Select(t => t.Probability).ToArray());
        bars.Color = Colors.SteelBlue;
        var ticks = top.Select((t, i) => new Tick(i, ChartStyle.Printable(t.Token))).ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks);
        plot.Axes.Bottom.TickLabelStyle.Rotation = -35;
        plot.Axes.Bottom.TickLabelStyle.FontSize = 16;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
        plot.Axes.Margins(bottom: 0);
        plot.Axes.SetLimitsY(0, Math.Min(1, top.Max(t => t.Probability) * 1.15));
        ChartStyle.Save(plot, path);
    }
}
