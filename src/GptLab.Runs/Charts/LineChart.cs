using ScottPlot;

namespace GptLab.Runs.Charts;

/// <summary>One line of a chart.</summary>
internal sealed record Series(string Name, double[] X, double[] Y);

/// <summary>Overlaid line charts, one colour per series, with a legend (run comparisons, loss curves).</summary>
internal static class LineChart
{
    public static void Save(string path, string title, string xLabel, string yLabel, IReadOnlyList<Series> series, bool logY = false)
    {
        var plot = ChartStyle.New(title, xLabel, yLabel);
        var palette = new ScottPlot.Palettes.Category10();
        int i = 0;
        foreach (var s in series.Where(s => s.X.Length > 0))
        {
            double[] y = logY ? s.Y.Select(v => Math.Log10(Math.Max(v, 1e-12))).ToArray() : s.Y;
            var line = plot.Add.Scatter(s.X, y);
            line.LegendText = s.Name;
            line.Color = palette.GetColor(i++);
            line.LineWidth = 2;
            line.MarkerSize = s.X.Length <= 30 ? 5 : 0;
        }
        if (logY)
        {
            plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
            {
                MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
                LabelFormatter = v => Math.Pow(10, v).ToString("0.###"),
            };
            plot.YLabel(yLabel + " (log scale)");
        }
        if (series.Count > 1) plot.ShowLegend(Alignment.UpperRight);
        ChartStyle.Save(plot, path);
    }
}
