using GptLab.Runs.Charts;
using ScottPlot;

namespace GptLab.Tests.Runs;

/// <summary>What a reader sees, asserted on the ScottPlot objects: legends off the data, nice ticks, enough colours.</summary>
public class ChartTests
{
    private static Series Line(int i, int n = 50) =>
        new($"run {i}", Enumerable.Range(0, n).Select(x => (double)x).ToArray(), Enumerable.Range(0, n).Select(x => 4.0 - x * 0.01 * (i + 1)).ToArray());

    [Fact]
    public void Overlays_put_the_legend_outside_the_data_and_give_every_series_its_own_colour()
    {
        var plot = LineChart.Build("t", "step", "loss", Enumerable.Range(0, 12).Select(i => Line(i)).ToList());
        Assert.False(plot.Legend.IsVisible);                                                   // not inside the data area
        Assert.Single(plot.Axes.GetPanels().OfType<ScottPlot.Panels.LegendPanel>());           // a panel beside it
        var colors = plot.GetPlottables().OfType<ScottPlot.Plottables.Scatter>().Select(s => s.Color.ToHex()).ToList();
        Assert.Equal(12, colors.Count);
        Assert.Equal(12, colors.Distinct().Count());
        Assert.Equal(30, ChartStyle.Colors(30).Select(c => c.ToHex()).Distinct().Count());
    }

    [Fact]
    public void A_single_line_has_no_legend_to_cover_its_data()
    {
        var plot = LineChart.Build("Learning rate", "step", "learning rate", [Line(0)]);
        Assert.All(plot.GetPlottables().OfType<ScottPlot.Plottables.Scatter>(), s => Assert.True(string.IsNullOrEmpty(s.LegendText)));   // nothing to draw over the data
        Assert.Empty(plot.Axes.GetPanels().OfType<ScottPlot.Panels.LegendPanel>());
    }

    [Theory]
    [InlineData(0.9, 20.0, new[] { 1.0, 2, 5, 10, 20 })]
    [InlineData(2.3, 6.4, new[] { 3.0, 4, 5, 6 })]
    [InlineData(3e-4, 1e-2, new[] { 5e-4, 1e-3, 2e-3, 5e-3, 1e-2 })]
    public void Log_axes_tick_at_one_two_five(double min, double max, double[] expected) =>
        Assert.Equal(expected, ChartStyle.LogTickValues(min, max));

    [Fact]
    public void A_log_scale_overlay_labels_its_ticks_with_round_numbers()
    {
        var s = new Series("a", [0, 1, 2, 3], [6.31, 3.981, 2.512, 1.5]);
        var plot = LineChart.Build("t", "step", "loss", [s, s with { Name = "b" }], logY: true);
        plot.GetImage(600, 400).Dispose();   // lays the ticks out
        var labels = plot.Axes.Left.TickGenerator.Ticks.Where(t => t.IsMajor).Select(t => t.Label).ToList();
        Assert.Equal(["2", "3", "4", "5", "6"], labels);   // not 6.31, 3.981, 2.512
    }

    [Fact]
    public void Integer_parameters_get_integer_ticks_and_log_parameters_a_log_axis()
    {
        var ints = SweepCharts.BuildMetricVsParameter("n_layer", "val_nll", [1, 2, 3], [2.0, 1.9, 1.95], null, logX: false);
        Assert.All(ints.Axes.Bottom.TickGenerator.Ticks, t => Assert.Equal(Math.Round(t.Position), t.Position));
        var lr = SweepCharts.BuildMetricVsParameter("learning_rate", "val_nll", [3e-4, 1e-3, 3e-3], [2.0, 1.9, 1.95], null, logX: true);
        var positions = lr.GetPlottables().OfType<ScottPlot.Plottables.Scatter>().Single().Data.GetScatterPoints().Select(p => p.X).ToList();
        Assert.Equal(Math.Log10(1e-3) - Math.Log10(3e-4), positions[1] - positions[0], 6);   // 3e-4 and 1e-3 far apart
    }

    [Fact]
    public void Parallel_coordinates_say_what_the_colours_mean()
    {
        var plot = SweepCharts.BuildParallelCoordinates(["lr", "val_nll"], [[1, 2.0], [2, 1.5], [3, 1.8]], [["1", "3"], ["1.5", "2.0"]], lowerIsBetter: true);
        Assert.Equal(3, plot.Legend.ManualItems.Count);
        Assert.Contains(plot.Legend.ManualItems, i => i.LabelText.StartsWith("best val_nll 1.5", StringComparison.Ordinal));
        Assert.Single(plot.Axes.GetPanels().OfType<ScottPlot.Panels.LegendPanel>());
    }
}
