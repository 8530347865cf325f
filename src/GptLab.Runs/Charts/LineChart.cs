using ScottPlot;

namespace GptLab.Runs.Charts;


/// <summary>Overlaid line charts, one colour per series, with a legend outside the data (run comparisons, loss curves).</summary>
internal static class LineChart
{
    public static void Save(string path, string title, string xLabel, string yLabel, IReadOnlyList<Series> series, bool logY = false,
        IReadOnlyList<(string Name, double Y)>? references = null) =>
        ChartStyle.Save(Build(title, xLabel, yLabel, series, logY, references), path);

    /// <summary><paramref name="references"/>: dashed horizontal lines (n-gram baselines), grey, in the legend.</summary>
    public static Plot Build(string title, string xLabel, string yLabel, IReadOnlyList<Series> series, bool logY = false,
        IReadOnlyList<(string Name, double Y)>? references = null)
    {
        var plot = ChartStyle.New(title, xLabel, yLabel);
        var drawn = series.Where(s => s.X.Length > 0).ToList();
        var colors = ChartStyle.Colors(drawn.Count);
        references ??= [];
        bool legend = drawn.Count + references.Count > 1;   // one line: no legend (title and axis say what it is)
        for (int i = 0; i < drawn.Count; i++)
        {
            var s = drawn[i];
            double[] y = logY ? s.Y.Select(v => Math.Log10(Math.Max(v, 1e-12))).ToArray() : s.Y;
            var line = plot.Add.Scatter(s.X, y);
            if (legend) line.LegendText = s.Name;
            line.Color = colors[i];
            line.LineWidth = 2;
            line.MarkerSize = s.X.Length <= 30 ? 5 : 0;
        }
        var greys = new[] { Colors.DimGray, Colors.DarkSlateGray, Colors.Gray, Colors.SlateGray, Colors.Black };
        for (int i = 0; i < references.Count; i++)
        {
            double y = logY ? Math.Log10(Math.Max(references[i].Y, 1e-12)) : references[i].Y;
            double x0 = drawn.Min(s => s.X.Min()), x1 = drawn.Max(s => s.X.Max());
            var line = plot.Add.Scatter(new[] { x0, x1 }, new[] { y, y });   // a segment over the data's x range: autoscale sees it
            line.LegendText = references[i].Name;
            line.Color = greys[i % greys.Length];
            line.LineWidth = 1.5f;
            line.LinePattern = LinePattern.Dashed;
            line.MarkerSize = 0;
        }
        if (logY)
        {
            var all = drawn.SelectMany(s => s.Y).Concat(references.Select(r => r.Y)).Where(v => v > 0 && double.IsFinite(v)).ToList();
            if (all.Count > 0) ChartStyle.LogTicks(plot.Axes.Left, all.Min(), all.Max());
            plot.YLabel(yLabel + " (log scale)");
        }
        // several lines: the legend beside the data; one line: none, not a box inside the plot over the data
        if (legend) ChartStyle.LegendOutside(plot);
        return plot;
    }
}
