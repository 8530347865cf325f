using ScottPlot;

namespace GptLab.Runs.Charts;

/// <summary>One line of a chart.</summary>
internal sealed record Series(string Name, double[] X, double[] Y);

/// <summary>Overlaid line charts, one colour per series, with a legend outside the data (run comparisons, loss curves).</summary>
internal static class LineChart
{
    public static void Save(string path, string title, string xLabel, string yLabel, IReadOnlyList<Series> series, bool logY = false) =>
        ChartStyle.Save(Build(title, xLabel, yLabel, series, logY), path);

    public static Plot Build(string title, string xLabel, string yLabel, IReadOnlyList<Series> series, bool logY = false)
    {
        var plot = ChartStyle.New(title, xLabel, yLabel);
        var drawn = series.Where(s => s.X.Length > 0).ToList();
        var colors = ChartStyle.Colors(drawn.Count);
        for (int i = 0; i < drawn.Count; i++)
        {
            var s = drawn[i];
            double[] y = logY ? s.Y.Select(v => Math.Log10(Math.Max(v, 1e-12))).ToArray() : s.Y;
            var line = plot.Add.Scatter(s.X, y);
            line.LegendText = s.Name;
            line.Color = colors[i];
            line.LineWidth = 2;
            line.MarkerSize = s.X.Length <= 30 ? 5 : 0;
        }
        if (logY)
        {
            var all = drawn.SelectMany(s => s.Y).Where(v => v > 0 && double.IsFinite(v)).ToList();
            if (all.Count > 0) ChartStyle.LogTicks(plot.Axes.Left, all.Min(), all.Max());
            plot.YLabel(yLabel + " (log scale)");
        }
        if (drawn.Count > 1) ChartStyle.LegendOutside(plot);
        return plot;
    }
}
