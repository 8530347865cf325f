using System.Globalization;
using System.Net;
using System.Text;
using GptLab.IO;
using GptLab.Runs.Charts;

namespace GptLab.Runs;

/// <summary>
/// Turns one or more run folders into charts (PNG), report.md and a self-contained report.html (images inlined).
/// Several runs are overlaid, one colour per run.
/// </summary>
public static class RunReport
{
    /// <summary>A chart drawn; <paramref name="References"/>: the dashed baselines on it.</summary>
    public sealed record Chart(string File, string Title, IReadOnlyList<string>? References = null);

    public static IReadOnlyList<Chart> Charts(IReadOnlyList<RunDirectory> runs, string outDir)
    {
        Directory.CreateDirectory(outDir);
        var data = runs.Select(r => (Run: r, Metrics: r.ReadMetrics())).ToList();
        bool many = runs.Count > 1;
        string Label(RunDirectory r, string what) => many ? $"{r.Name} {what}" : what;
        var charts = new List<Chart>();

        // the n-gram baselines of the runs' dataset (when they share one and `gptlab baseline ngram` was run on it),
        // dashed on the charts in nats per token
        var datasets = runs.Select(r => r.DatasetDirectory()).Distinct().ToList();
        var baselines = datasets is [string one] ? BaselineFile.Read(one) : null;

        void Add(string file, string title, string x, string y, IEnumerable<Series> series, bool? log = null, bool nats = false)
        {
            var list = series.Where(s => s.X.Length > 0).ToList();
            if (list.Count == 0) return;
            var all = list.SelectMany(s => s.Y).Where(v => v > 0 && double.IsFinite(v)).ToArray();
            var refs = nats ? References(baselines, all) : [];
            var span = all.Concat(refs.Select(r => r.Y)).ToArray();
            bool logY = log ?? (all.Length > 1 && span.Max() / span.Min() > 10);
            LineChart.Save(Path.Combine(outDir, file), title, x, y, list, logY, refs);
            charts.Add(new Chart(file, title, refs.Count > 0 ? [.. refs.Select(r => r.Name)] : null));
        }

        static Series S(string name, IEnumerable<MetricRecord> ms, Func<MetricRecord, double> x, Func<MetricRecord, double?> y)
        {
            var pts = ms.Select(m => (X: x(m), Y: y(m))).Where(p => p.Y is double v && double.IsFinite(v)).ToArray();
            return new Series(name, pts.Select(p => p.X).ToArray(), pts.Select(p => p.Y!.Value).ToArray());
        }

        IEnumerable<Series> Losses(IEnumerable<(RunDirectory Run, IReadOnlyList<MetricRecord> Metrics)> of, Func<MetricRecord, double> x) => of.SelectMany(d => new[]
        {
            S(Label(d.Run, "train (step)"), d.Metrics.Where(m => m.Kind == "train"), x, m => m.Loss),
            S(Label(d.Run, "train (eval)"), d.Metrics.Where(m => m.Kind == "eval"), x, m => m.TrainLoss),
            S(Label(d.Run, "val"), d.Metrics.Where(m => m.Kind == "eval"), x, m => m.ValLoss),
        });

        // Runs trained with different losses share one comparable quantity, the validation NLL; each loss's own
        // values (an mse loss is not in nats) get a chart of their own.
        var byLoss = data.GroupBy(d => LossOf(d.Run)).ToList();
        if (byLoss.Count > 1)
        {
            IEnumerable<Series> Nll(Func<MetricRecord, double> x) => data.Select(d => S(Label(d.Run, "val NLL"), d.Metrics.Where(m => m.Kind == "eval"), x, m => m.ValNll));
            Add("val_nll_vs_step.png", "Validation NLL by step (comparable across losses)", "step", "val NLL (nats/token)", Nll(m => m.Step), nats: true);
            Add("val_nll_vs_tokens.png", "Validation NLL by tokens seen", "tokens", "val NLL (nats/token)", Nll(m => m.Tokens), nats: true);
            foreach (var g in byLoss)
                Add($"loss_{g.Key}_vs_step.png", $"Training loss: {g.Key}", "step", $"{g.Key} loss", Losses(g, m => m.Step));
        }
        else
        {
            string unit = byLoss.Count == 1 && byLoss[0].Key != "cross_entropy" ? $"{byLoss[0].Key} loss" : "loss (nats/token)";
            bool ce = unit == "loss (nats/token)";
            Add("loss_vs_step.png", "Loss by step", "step", unit, Losses(data, m => m.Step), nats: ce);
            Add("loss_vs_tokens.png", "Loss by tokens seen", "tokens", unit, Losses(data, m => m.Tokens), nats: ce);
        }
        Add("lr.png", "Learning rate", "step", "learning rate", data.Select(d => S(Label(d.Run, "lr"), d.Metrics.Where(m => m.Kind == "train"), m => m.Step, m => m.Lr)), false);
        Add("grad_norm.png", "Gradient norm (before clipping)", "step", "global L2 norm", data.Select(d => S(Label(d.Run, "grad norm"), d.Metrics.Where(m => m.Kind == "train"), m => m.Step, m => m.GradNorm)));
        Add("tokens_per_s.png", "Training throughput", "step", "tokens / s", data.Select(d => S(Label(d.Run, "tokens/s"), d.Metrics.Where(m => m.Kind == "train"), m => m.Step, m => m.TokensPerS)), false);
        Add("ms_per_step.png", "Time per step", "step", "ms / step", data.Select(d => S(Label(d.Run, "ms/step"), d.Metrics.Where(m => m.Kind == "train"), m => m.Step, m => m.MsPerStep)), false);
        Add("mfu.png", "Model FLOPs utilisation", "step", "MFU (%)", data.Select(d => S(Label(d.Run, "MFU"), d.Metrics.Where(m => m.Kind == "train"), m => m.Step, m => m.Mfu * 100)), false);
        return charts;
    }

    /// <summary>The baselines worth a line: the strongest order always, the others when they fall within the data's range.</summary>
    internal static List<(string Name, double Y)> References(BaselineFile? baselines, double[] data)
    {
        if (baselines is null || baselines.Ngram.Count == 0 || data.Length == 0) return [];
        var best = baselines.Ngram.MaxBy(s => s.Order)!;
        return [.. baselines.Ngram.Where(s => s == best || (s.Nll >= data.Min() && s.Nll <= data.Max()))
            .OrderBy(s => s.Order).Select(s => ($"{s.Order}-gram (Kneser–Ney) {s.Nll:0.000}", s.Nll))];
    }

    /// <summary>The training loss a run used (config key <c>loss</c>).</summary>
    private static string LossOf(RunDirectory run)
    {
        try { return System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(run.ConfigPath))?["loss"]?.GetValue<string>() ?? "cross_entropy"; }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException or InvalidOperationException) { return "cross_entropy"; }
    }

    /// <summary>Writes the charts, report.md and report.html into <paramref name="outDir"/>; returns report.md's path.</summary>
    public static string Write(IReadOnlyList<RunDirectory> runs, string outDir)
    {
        if (runs.Count == 0) throw new GptLabException("give at least one run folder");
        foreach (var r in runs)
        {
            if (!r.Exists) throw new GptLabException($"{r.Path} is not a run folder (no config.json)");
            if (r.ReadMetrics().Count == 0) throw new GptLabException($"{r.Path} has no readable metrics ({r.MetricsPath} is missing, empty or damaged) — nothing to draw");
        }
        var charts = Charts(runs, outDir);
        var summaries = runs.Select(r => RunSummary.Read(r)).ToList();
        var inv = CultureInfo.InvariantCulture;
        string title = runs.Count == 1 ? $"Run {runs[0].Name}" : $"Runs: {string.Join(", ", runs.Select(r => r.Name))}";

        var md = new StringBuilder($"# {title}\n\n");
        md.Append("| run | status | steps | tokens | best val NLL | perplexity | wall time |\n|---|---|---:|---:|---:|---:|---:|\n");
        foreach (var s in summaries)
            md.Append(string.Create(inv, $"| {s.Name} | {s.Status} | {s.Steps:N0} | {s.Tokens:N0} | {Fmt(s.BestValNll, "0.0000")} | {Fmt(s.Perplexity, "0.00")} | {s.WallS:0.0} s |\n"));
        md.Append("\n*val loss* is the training loss measured on validation (for cross-entropy over the vocabulary padded to a multiple of 64, so its extra logits take a little probability); *val NLL* is cross-entropy over the real vocabulary — the number that compares runs, whatever loss trained them.\n");
        foreach (var c in charts)
            md.Append($"\n## {c.Title}\n\n![{c.Title}]({c.File})\n{(c.References is { } r ? $"\nDashed: n-gram baselines of the dataset (`gptlab baseline ngram`): {string.Join("; ", r)}.\n" : "")}");
        foreach (var r in runs)
        {
            var samples = r.ReadSamples();
            if (samples.Count == 0) continue;
            md.Append($"\n## Generated text at each loss level{(runs.Count > 1 ? $": {r.Name}" : "")}\n\n| step | val NLL | sample |\n|---:|---:|---|\n");
            foreach (var s in samples)
                md.Append(string.Create(inv, $"| {s.Step:N0} | {Fmt(s.ValLoss, "0.000")} | {MarkdownCell(s.Text)} |\n"));
        }
        string mdPath = Path.Combine(outDir, "report.md");
        AtomicFile.WriteAllText(mdPath, md.ToString());

        var html = new StringBuilder("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>")
            .Append(WebUtility.HtmlEncode(title)).Append("</title><style>")
            .Append("body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#222}")
            .Append("table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top}")
            .Append("td.num{text-align:right}pre{margin:0;white-space:pre-wrap;font-size:12px}img{max-width:100%}")
            .Append("</style></head><body>\n<h1>").Append(WebUtility.HtmlEncode(title)).Append("</h1>\n<table><tr><th>run</th><th>status</th><th>steps</th><th>tokens</th><th>best val NLL</th><th>perplexity</th><th>wall time</th></tr>\n");
        foreach (var s in summaries)
            html.Append(string.Create(inv, $"<tr><td>{WebUtility.HtmlEncode(s.Name)}</td><td>{s.Status}</td><td class=\"num\">{s.Steps:N0}</td><td class=\"num\">{s.Tokens:N0}</td><td class=\"num\">{Fmt(s.BestValNll, "0.0000")}</td><td class=\"num\">{Fmt(s.Perplexity, "0.00")}</td><td class=\"num\">{s.WallS:0.0} s</td></tr>\n"));
        html.Append("</table>\n");
        foreach (var c in charts)
            html.Append($"<h2>{WebUtility.HtmlEncode(c.Title)}</h2>\n<img alt=\"{WebUtility.HtmlEncode(c.Title)}\" src=\"data:image/png;base64,{Convert.ToBase64String(File.ReadAllBytes(Path.Combine(outDir, c.File)))}\">\n");
        foreach (var r in runs)
        {
            var samples = r.ReadSamples();
            if (samples.Count == 0) continue;
            html.Append($"<h2>Generated text at each loss level{(runs.Count > 1 ? $": {WebUtility.HtmlEncode(r.Name)}" : "")}</h2>\n<table><tr><th>step</th><th>val NLL</th><th>sample</th></tr>\n");
            foreach (var s in samples)
                html.Append(string.Create(inv, $"<tr><td class=\"num\">{s.Step:N0}</td><td class=\"num\">{Fmt(s.ValLoss, "0.000")}</td><td><pre>{WebUtility.HtmlEncode(s.Text)}</pre></td></tr>\n"));
            html.Append("</table>\n");
        }
        html.Append("</body></html>\n");
        AtomicFile.WriteAllText(Path.Combine(outDir, "report.html"), html.ToString());
        return mdPath;
    }

    private static string Fmt(double? v, string format) => v is double d ? d.ToString(format, CultureInfo.InvariantCulture) : "–";

    internal static string MarkdownCell(string text)
    {
        string t = text.Length > 300 ? text[..300] + "…" : text;
        return "<code>" + WebUtility.HtmlEncode(t).Replace("|", "&#124;").Replace("\r", "").Replace("\n", "↵ ") + "</code>";
    }
}
