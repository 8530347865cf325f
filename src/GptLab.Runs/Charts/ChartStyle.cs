using System.Globalization;
using GptLab.IO;
using ScottPlot;

namespace GptLab.Runs.Charts;

/// <summary>Shared look of every chart GptLab draws (ScottPlot, PNG): legends outside the data, 1-2-5 ticks on log
/// axes, integer ticks for integer values, a colour per series however many there are.</summary>
internal static class ChartStyle
{
    public const int Width = 900;
    public const int Height = 520;

    public static Plot New(string title, string xLabel, string yLabel)
    {
        var plot = new Plot();
        plot.Title(WrapTitle(title));
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { LabelFormatter = Compact };
        return plot;
    }

    /// <summary>A title longer than a chart is wide (a sweep's scope appended to it was cut off at both ends) goes
    /// onto more lines, broken between words.</summary>
    public static string WrapTitle(string title, int max = 64)
    {
        var lines = new List<string>();
        string line = "";
        foreach (var word in title.Split(' '))
        {
            if (line.Length > 0 && line.Length + 1 + word.Length > max) { lines.Add(line); line = word; }
            else line = line.Length == 0 ? word : line + " " + word;
        }
        lines.Add(line);
        return string.Join("\n", lines);
    }

    public static void Save(Plot plot, string path, int width = Width, int height = Height)
    {
        AtomicFile.Write(path, tmp => plot.SavePng(tmp, width, height));
    }

    /// <summary>The legend in a panel right of the data area, where it never covers a line.</summary>
    public static void LegendOutside(Plot plot) => plot.ShowLegend(Edge.Right);

    /// <summary><paramref name="n"/> distinct colours: Category10, Category20, then evenly spaced on a colormap.</summary>
    public static IReadOnlyList<Color> Colors(int n)
    {
        if (n <= 10) return Enumerable.Range(0, n).Select(i => new ScottPlot.Palettes.Category10().GetColor(i)).ToList();
        if (n <= 20) return Enumerable.Range(0, n).Select(i => new ScottPlot.Palettes.Category20().GetColor(i)).ToList();
        var cmap = new ScottPlot.Colormaps.Turbo();
        return Enumerable.Range(0, n).Select(i => cmap.GetColor(0.05 + 0.9 * i / (n - 1))).ToList();
    }

    /// <summary>Ticks at 1, 2, 5 × 10^k between <paramref name="min"/> and <paramref name="max"/> (data in log10 units
    /// on the axis); every integer 1…9 × 10^k when the range is too narrow for three such ticks.</summary>
    public static void LogTicks(IAxis axis, double min, double max)
    {
        var values = LogTickValues(min, max);
        axis.TickGenerator = new ScottPlot.TickGenerators.NumericManual(values.Select(v => new Tick(Math.Log10(v), Compact(v))).ToArray());
    }

    public static IReadOnlyList<double> LogTickValues(double min, double max)
    {
        if (!(min > 0) || !(max >= min)) return [];
        List<double> Steps(double[] mantissas)
        {
            var list = new List<double>();
            for (int e = (int)Math.Floor(Math.Log10(min)) - 1; e <= (int)Math.Ceiling(Math.Log10(max)) + 1; e++)
                foreach (var m in mantissas)
                {
                    double v = m * Math.Pow(10, e);
                    if (v >= min * 0.999 && v <= max * 1.001) list.Add(double.Parse(v.ToString("G6", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture));
                }
            return list;
        }
        var ticks = Steps([1, 2, 5]);
        return ticks.Count >= 3 ? ticks : Steps([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    }

    /// <summary>Ticks only at whole numbers (a few, evenly spaced, for wide ranges).</summary>
    public static void IntegerTicks(IAxis axis, double min, double max)
    {
        long lo = (long)Math.Floor(min), hi = (long)Math.Ceiling(max);
        long step = Math.Max(1, (long)Math.Ceiling((hi - lo) / 8.0));
        var ticks = new List<Tick>();
        for (long v = lo; v <= hi; v += step) ticks.Add(new Tick(v, v.ToString(CultureInfo.InvariantCulture)));
        axis.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks.ToArray());
    }

    /// <summary>1.5M, 250k, 0.001, 3e-05: short labels that are not clipped at a chart's edge.</summary>
    public static string Compact(double v)
    {
        double a = Math.Abs(v);
        return a switch
        {
            >= 1e9 => (v / 1e9).ToString("0.##", CultureInfo.InvariantCulture) + "G",
            >= 1e6 => (v / 1e6).ToString("0.##", CultureInfo.InvariantCulture) + "M",
            >= 1e4 => (v / 1e3).ToString("0.##", CultureInfo.InvariantCulture) + "k",
            0 => "0",
            < 1e-3 => v.ToString("0.#e+0", CultureInfo.InvariantCulture),
            _ => v.ToString("0.####", CultureInfo.InvariantCulture),
        };
    }

    /// <summary>A label safe to draw: control characters shown as escapes (a newline token shows as \n).</summary>
    public static string Printable(string s) =>
        string.Concat(s.Select(c => c switch { '\n' => "↵", '\t' => "⇥", '\r' => "␍", ' ' => "␣", _ when char.IsControl(c) => $"\\x{(int)c:X2}", _ => c.ToString() }));
}

/// <summary>Bar chart of next-token probabilities (`gptlab predict --chart`).</summary>
internal static class NextTokenChart
{
    public static void Save(string path, string prompt, IReadOnlyList<(string Token, double Probability)> top)
    {
        string shown = prompt.Length > 60 ? "…" + prompt[^60..] : prompt;
        var plot = ChartStyle.New($"Next token after \"{shown.Replace("\n", "\\n")}\"", "token (␣ space, ↵ newline, ⇥ tab)", "probability");
        var bars = plot.Add.Bars(top.Select(t => t.Probability).ToArray());
        bars.Color = ScottPlot.Colors.SteelBlue;
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
