using System.Globalization;
using System.Text;
using GptLab.IO;
using GptLab.Runs.Charts;

namespace GptLab.Runs;

/// <summary>One model of a loss comparison.</summary>
public sealed record ComparisonRow
{
    public string Loss { get; init; } = "";
    public string Run { get; init; } = "";
    public double TrainLoss { get; init; }     // the model's own training loss, last evaluation
    public double ValNll { get; init; }        // cross-entropy on the whole validation split
    public double ValPerplexity { get; init; }
    public double NatsPerChar { get; init; }
    public double Accuracy { get; init; }
    public double TokensPerS { get; init; }
    public double WallS { get; init; }
    public string Sample { get; init; } = "";
    public IReadOnlyList<(double Step, double ValNll)> Curve { get; init; } = [];
}

/// <summary>Writes report.md, results.csv and val_nll.png for `gptlab compare`.</summary>
public static class ComparisonReport
{
    /// <summary><paramref name="datasetDir"/>: the models' dataset, whose n-gram baselines (when computed) are drawn dashed.</summary>
    public static string Write(string dir, string title, IReadOnlyList<ComparisonRow> rows, string? datasetDir = null)
    {
        Directory.CreateDirectory(dir);
        var inv = CultureInfo.InvariantCulture;
        var refs = RunReport.References(datasetDir is null ? null : BaselineFile.Read(datasetDir), [.. rows.SelectMany(r => r.Curve.Select(c => c.ValNll))]);
        LineChart.Save(Path.Combine(dir, "val_nll.png"), "Validation NLL by training loss (estimates at each evaluation)", "step", "val NLL (nats/token, eval_iters batches)",
            rows.Select(r => new Series(r.Loss, r.Curve.Select(c => c.Step).ToArray(), r.Curve.Select(c => c.ValNll).ToArray())).ToList(), references: refs);
        var csv = new StringBuilder("loss,train_loss,val_nll,val_perplexity,nats_per_char,accuracy,tokens_per_s,wall_s,run\n");
        foreach (var r in rows)
            csv.Append(string.Create(inv, $"{r.Loss},{r.TrainLoss:R},{r.ValNll:R},{r.ValPerplexity:R},{r.NatsPerChar:R},{r.Accuracy:R},{r.TokensPerS:R},{r.WallS:R},{r.Run}\n"));
        AtomicFile.WriteAllText(Path.Combine(dir, "results.csv"), csv.ToString());

        var md = new StringBuilder($"# {title}\n\n");
        md.Append("Every model is evaluated with cross-entropy (token NLL) on the whole validation split, whatever loss trained it: ");
        md.Append("the table's val NLL is that whole-split figure for the best checkpoint; the chart's points are the estimates made during ");
        md.Append("training (eval_iters random batches at each evaluation), so they scatter around it.\n\n");
        md.Append("| loss | train loss (own) | val NLL (whole split) | val perplexity | nats/char | accuracy | tokens/s | wall time |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
        foreach (var r in rows)
            md.Append(string.Create(inv, $"| {r.Loss} | {r.TrainLoss:0.0000} | {r.ValNll:0.0000} | {r.ValPerplexity:0.00} | {r.NatsPerChar:0.0000} | {r.Accuracy:P1} | {r.TokensPerS:N0} | {r.WallS:0.0} s |\n"));
        md.Append("\n![validation NLL curves](val_nll.png)\n\n## Samples\n\n");
        foreach (var r in rows)
            md.Append($"### {r.Loss}\n\n```text\n{r.Sample.Trim()}\n```\n\n");
        AtomicFile.WriteAllText(Path.Combine(dir, "report.md"), md.ToString());
        return Path.Combine(dir, "report.md");
    }
}
