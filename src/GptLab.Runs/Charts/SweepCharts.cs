using ScottPlot;

namespace GptLab.Runs.Charts;

/// <summary>Charts of a sweep: curves coloured by a hyperparameter, metric vs hyperparameter, parallel coordinates,
/// importance bars.</summary>
internal static class SweepCharts
{
    /// <summary>One curve per trial, coloured by the value of one hyperparameter (viridis from low to high).</summary>
    public static void CurvesByParameter(string path, string parameter, IReadOnlyList<(double Value, string Label, double[] X, double[] Y)> curves, bool logY) =>
        ChartStyle.Save(BuildCurves(parameter, curves, logY), path);

    public static Plot BuildCurves(string parameter, IReadOnlyList<(double Value, string Label, double[] X, double[] Y)> curves, bool logY)
    {
        var plot = ChartStyle.New($"Validation NLL of every trial, coloured by {parameter}", "step", "val NLL (nats/token)" + (logY ? " (log scale)" : ""));
        var values = curves.Select(c => c.Value).Distinct().Order().ToList();
        var cmap = new ScottPlot.Colormaps.Viridis();
        var seen = new HashSet<double>();
        foreach (var c in curves.OrderBy(c => c.Value))
        {
            if (c.X.Length == 0) continue;
            double pos = values.Count == 1 ? 0.5 : values.IndexOf(c.Value) / (double)(values.Count - 1);
            var line = plot.Add.Scatter(c.X, logY ? c.Y.Select(v => Math.Log10(Math.Max(v, 1e-9))).ToArray() : c.Y);
            line.Color = cmap.GetColor(pos * 0.9).WithAlpha(0.8);
            line.LineWidth = 1.5f;
            line.MarkerSize = 0;
            if (values.Count <= 12 && seen.Add(c.Value)) line.LegendText = $"{parameter} = {c.Label}";
        }
        var ys = curves.SelectMany(c => c.Y).Where(v => v > 0 && double.IsFinite(v)).ToList();
        if (logY && ys.Count > 0) ChartStyle.LogTicks(plot.Axes.Left, ys.Min(), ys.Max());
        if (values.Count <= 12) ChartStyle.LegendOutside(plot);
        else plot.Title($"Validation NLL of every trial, coloured by {parameter} (dark = {curves.Min(c => c.Value):G3}, bright = {curves.Max(c => c.Value):G3})");
        return plot;
    }

    /// <summary>The metric against one hyperparameter, one point per configuration (of one phase: like with like).</summary>
    public static void MetricVsParameter(string path, string parameter, string metric, double[] x, double[] y, string[]? categories, bool logX, string scope = "") =>
        ChartStyle.Save(BuildMetricVsParameter(parameter, metric, x, y, categories, logX, scope), path);

    public static Plot BuildMetricVsParameter(string parameter, string metric, double[] x, double[] y, string[]? categories, bool logX, string scope = "")
    {
        var plot = ChartStyle.New($"{metric} by {parameter}{(scope.Length > 0 ? $" ({scope})" : "")}", parameter + (logX ? " (log scale)" : ""), metric);
        var sc = plot.Add.ScatterPoints(logX ? x.Select(Math.Log10).ToArray() : x, y);
        sc.MarkerSize = 9;
        sc.Color = Colors.SteelBlue.WithAlpha(0.8);
        if (categories != null)
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(categories.Select((c, i) => new Tick(i, c)).ToArray());
        else if (logX) ChartStyle.LogTicks(plot.Axes.Bottom, x.Min(), x.Max());
        else if (x.All(v => v == Math.Round(v))) ChartStyle.IntegerTicks(plot.Axes.Bottom, x.Min(), x.Max());
        return plot;
    }

    /// <summary>Two objectives: every trial a point (training time, metric), the Pareto front highlighted and joined.</summary>
    public static void Pareto(string path, string metric, double[] seconds, double[] values, bool[] onFront, string scope = "")
    {
        var plot = ChartStyle.New($"{metric} against training time{(scope.Length > 0 ? $" ({scope})" : "")}", "training time (s)", metric);
        var rest = plot.Add.ScatterPoints(seconds.Where((_, i) => !onFront[i]).ToArray(), values.Where((_, i) => !onFront[i]).ToArray());
        rest.MarkerSize = 7;
        rest.Color = Colors.SteelBlue.WithAlpha(0.45);
        rest.LegendText = "trial";
        var idx = Enumerable.Range(0, seconds.Length).Where(i => onFront[i]).OrderBy(i => seconds[i]).ToArray();
        var front = plot.Add.Scatter(idx.Select(i => seconds[i]).ToArray(), idx.Select(i => values[i]).ToArray());
        front.MarkerSize = 10;
        front.LineWidth = 2;
        front.Color = Colors.OrangeRed;
        front.ConnectStyle = ConnectStyle.StepHorizontal;
        front.LegendText = "Pareto front (no trial both faster and better)";
        ChartStyle.LegendOutside(plot);
        ChartStyle.Save(plot, path);
    }

    /// <summary>Parallel coordinates: one axis per hyperparameter plus the metric, each scaled to [0, 1]; one line
    /// per trial, coloured by the metric (bright = best).</summary>
    public static void ParallelCoordinates(string path, IReadOnlyList<string> axes, IReadOnlyList<double[]> rows, IReadOnlyList<string[]> axisLabels, bool lowerIsBetter, string scope = "") =>
        ChartStyle.Save(BuildParallelCoordinates(axes, rows, axisLabels, lowerIsBetter, scope), path, 1100, 560);

    public static Plot BuildParallelCoordinates(IReadOnlyList<string> axes, IReadOnlyList<double[]> rows, IReadOnlyList<string[]> axisLabels, bool lowerIsBetter, string scope = "")
    {
        var plot = ChartStyle.New($"Parallel coordinates, each axis scaled to its range{(scope.Length > 0 ? $" ({scope})" : "")}", "", "scaled value");
        int k = axes.Count;
        var min = Enumerable.Range(0, k).Select(j => rows.Min(r => r[j])).ToArray();
        var max = Enumerable.Range(0, k).Select(j => rows.Max(r => r[j])).ToArray();
        double Scale(double v, int j) => max[j] > min[j] ? (v - min[j]) / (max[j] - min[j]) : 0.5;
        var cmap = new ScottPlot.Colormaps.Viridis();
        foreach (var r in rows.OrderByDescending(r => lowerIsBetter ? r[k - 1] : -r[k - 1]))
        {
            double quality = 1 - Scale(r[k - 1], k - 1);
            if (!lowerIsBetter) quality = 1 - quality;
            var line = plot.Add.Scatter(Enumerable.Range(0, k).Select(j => (double)j).ToArray(), Enumerable.Range(0, k).Select(j => Scale(r[j], j)).ToArray());
            line.Color = cmap.GetColor(quality * 0.9).WithAlpha(0.7);
            line.MarkerSize = 4;
            line.LineWidth = 1.5f;
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(axes.Select((a, j) => new Tick(j, $"{a}\n{axisLabels[j][0]} … {axisLabels[j][1]}")).ToArray());
        for (int j = 0; j < k; j++) plot.Add.VerticalLine(j, 1, Colors.Gray);
        plot.Axes.SetLimitsY(-0.05, 1.05);
        // the colour legend: what bright and dark mean
        string metric = axes[k - 1];
        double best = lowerIsBetter ? min[k - 1] : max[k - 1], worst = lowerIsBetter ? max[k - 1] : min[k - 1];
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = $"best {metric} {best:0.0000}", LineColor = cmap.GetColor(0.9), LineWidth = 4 });
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = $"middle", LineColor = cmap.GetColor(0.45), LineWidth = 4 });
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = $"worst {metric} {worst:0.0000}", LineColor = cmap.GetColor(0), LineWidth = 4 });
        ChartStyle.LegendOutside(plot);
        return plot;
    }

    /// <summary>Importance bars: one group per hyperparameter, one bar per target (the metric, training time).</summary>
    public static void ImportanceBars(string path, IReadOnlyList<string> parameters, IReadOnlyList<(string Target, double[] Values)> targets, string scope = "")
    {
        var plot = ChartStyle.New($"Hyperparameter importance (random forest, permutation){(scope.Length > 0 ? $", {scope}" : "")}", "hyperparameter", "share of importance");
        var palette = new ScottPlot.Palettes.Category10();
        double width = 0.8 / targets.Count;
        for (int t = 0; t < targets.Count; t++)
        {
            var bars = targets[t].Values.Select((v, i) => new Bar
            {
                Position = i - 0.4 + width * (t + 0.5), Value = double.IsFinite(v) ? v : 0, FillColor = palette.GetColor(t), Size = width * 0.95,
            }).ToList();
            var b = plot.Add.Bars(bars);
            b.LegendText = targets[t].Target;
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(parameters.Select((p, i) => new Tick(i, p)).ToArray());
        plot.Axes.Margins(bottom: 0);
        ChartStyle.LegendOutside(plot);
        ChartStyle.Save(plot, path);
    }
}
