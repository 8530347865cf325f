using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GptLab.IO;
using GptLab.Runs;
using GptLab.Runs.Charts;
using GptLab.Sweeps;

namespace GptLab.Reports;

/// <summary>
/// `gptlab sweep report`: trials sorted by the metric (CSV + Markdown), the best configuration as a ready preset,
/// and the charts — curves coloured by each hyperparameter, metric vs each hyperparameter, parallel coordinates,
/// and importance for the metric and for training time.
/// </summary>
public static class SweepReport
{
    public sealed record Result(string Markdown, string Csv, string BestPreset, IReadOnlyList<string> Charts, IReadOnlyList<(string Name, double Metric, double Time)> Importance);

    public static Result Write(string dir, string? outDir = null) => Write(new StudyLocation(dir), outDir);

    /// <summary>The metric against training time: the trials weighed (<see cref="ParetoScope"/>), those on the front, and
    /// a line saying which phase they are — what the report's pareto.png and the dashboard draw.</summary>
    public static (List<Trial> Trials, IReadOnlyList<Trial> Front, string Scope) Pareto(SweepSpec spec, IReadOnlyList<Trial> trials)
    {
        var scope = ParetoScope(trials);
        return scope.Count == 0 ? (scope, [], "")
            : (scope, ParetoFront.Of(scope, spec.Minimize), $"phase {scope[0].Phase + 1}: {scope.Count} trials at {scope[0].Iters:N0} iterations");
    }

    /// <summary>The trials two objectives are weighed over, like with like: those of the latest phase in which at
    /// least two finished (grid, random and TPE: the only phase).</summary>
    public static List<Trial> ParetoScope(IReadOnlyList<Trial> trials)
    {
        var byPhase = trials.Where(t => t.Status == "done").GroupBy(t => t.Phase).Where(g => g.Count() >= 2).OrderByDescending(g => g.Key).FirstOrDefault();
        return byPhase is null ? [] : [.. byPhase];
    }

    /// <summary>Everything comes from the study (trials, metrics, intermediate values), so the report works from
    /// any machine that reaches the storage; curves of studies made before evaluations were stored come from the
    /// trials' run folders.</summary>
    /// <param name="fastestWithin">best.json is the fastest trial within this much of the best metric (on the Pareto
    /// front of metric and training time), instead of the best.</param>
    public static Result Write(StudyLocation at, string? outDir = null, double? fastestWithin = null)
    {
        using var study = Study.Open(at);
        var spec = study.Spec;
        var trials = study.Trials();
        var evals = study.Evals();
        List<MetricRecord> Curve(int configId)
        {
            var stored = evals.Where(e => e.ConfigId == configId).GroupBy(e => e.Step).Select(g => g.MaxBy(e => e.Phase)!)
                .Select(e => new MetricRecord { Kind = "eval", Step = e.Step, ValNll = e.ValNll }).ToList();
            return stored.Count > 0 ? stored
                : new RunDirectory(SweepWorker.TrialDir(at.Artifacts, configId)).ReadMetrics().Where(m => m.Kind == "eval" && m.ValNll is not null).ToList();
        }
        string dir = at.Artifacts;
        string reportDir = outDir ?? Path.Combine(dir, "report");
        Directory.CreateDirectory(reportDir);
        var inv = CultureInfo.InvariantCulture;
        bool min = spec.Minimize;

        var (final, done, names) = Ranked(spec, trials);
        var md = new StringBuilder($"# Sweep {(at.IsPostgres ? at.Name : Path.GetFileName(Path.GetFullPath(dir)))}\n\n");
        md.Append(string.Create(inv, $"{JsonEnum.Name(spec.Method)} over {string.Join(", ", spec.Parameters.Keys)}; {final.Count} configurations, {trials.Count} trials in {spec.Phases.Count} phase(s); metric {spec.MetricName} ({JsonEnum.Name(spec.Direction)}).\n\n"));
        md.Append("| rank | config | phase | iters | " + string.Join(" | ", names) + $" | {spec.MetricName} | wall time | tokens/s |\n|" + string.Concat(Enumerable.Repeat("---|", 4 + names.Count + 3)) + "\n");
        int rank = 0;
        foreach (var t in done.Concat(final.Except(done)))
        {
            bool ok = done.Contains(t);
            if (ok) rank++;
            md.Append(string.Create(inv, $"| {(ok ? rank.ToString(inv) : "–")} | {t.ConfigId} | {t.Phase} | {t.Iters} | {string.Join(" | ", names.Select(n => Val(t, n)))} | {(ok ? t.Metric!.Value.ToString("0.0000", inv) : t.Status)} | {t.WallS ?? 0:0.0} s | {t.TokensPerS ?? 0:N0} |\n"));
        }
        string csv = TrialsCsv(spec, trials);
        AtomicFile.WriteAllText(Path.Combine(reportDir, "trials.csv"), csv);

        string bestPreset = Path.Combine(reportDir, "best.json");
        var pick = fastestWithin is double delta ? ParetoFront.FastestWithin(ParetoScope(trials), delta, min) : null;
        if (BestPreset(at.ToString(), spec, trials, pick) is { } preset)
        {
            var best = pick ?? done[0];
            AtomicFile.WriteAllText(bestPreset, preset.ToJsonString(Json.Options));
            md.Append(string.Create(inv, $"\n{(pick is null ? "Best" : $"Fastest within {fastestWithin} of the best")}: config {best.ConfigId} ({best.Params}), {spec.MetricName} {best.Metric:0.0000}, {best.WallS:0.0} s — ready preset: `best.json` (`gptlab train --config {bestPreset}`).\n"));
        }

        var charts = new List<string>();
        var imp = new List<(string, double, double)>();
        if (done.Count > 0)
        {
            // each configuration's whole curve, through every phase it reached
            var curves = done.Select(t => (t, Metrics: Curve(t.ConfigId))).ToList();
            var all = curves.SelectMany(c => c.Metrics.Select(m => m.ValNll!.Value)).Where(v => v > 0).ToList();
            bool logY = all.Count > 1 && all.Max() / all.Min() > 10;
            // Like with like: the scatter, parallel coordinates and importance use one phase, in which every
            // configuration trained for the same iterations (the first; for grid and random, the only one).
            var peers = PhaseOne(trials);
            string scope = spec.Phases.Count > 1
                ? $"phase 1: {peers.Count} configurations at {spec.Phases[0].MaxIters:N0} iterations"
                : $"{peers.Count} configurations at {spec.Phases[0].MaxIters:N0} iterations";
            bool LogScale(string n, (double[] Numeric, string[]? Categories) e) => IsLogScale(spec, n, e);
            foreach (var n in names)
            {
                var (numeric, _) = Encode(done, n);
                string curvesFile = $"curves_{Safe(n)}.png", scatterFile = $"{Safe(spec.MetricName)}_vs_{Safe(n)}.png";
                SweepCharts.CurvesByParameter(Path.Combine(reportDir, curvesFile), n,
                    curves.Select((c, i) => (numeric[i], Val(c.t, n), c.Metrics.Select(m => (double)m.Step).ToArray(), c.Metrics.Select(m => m.ValNll!.Value).ToArray())).ToList(), logY);
                charts.Add(curvesFile);
                if (peers.Count == 0) continue;
                var peer = Encode(peers, n);
                SweepCharts.MetricVsParameter(Path.Combine(reportDir, scatterFile), n, spec.MetricName, peer.Numeric, peers.Select(t => t.Metric!.Value).ToArray(), peer.Categories, LogScale(n, peer), scope);
                charts.Add(scatterFile);
            }
            if (peers.Count > 0)
            {
                // parallel coordinates (axes spanning decades, such as the learning rate, on a log scale)
                var encoded = names.Select(n => Encode(peers, n)).ToList();
                var rows = peers.Select((t, i) => encoded.Select((e, j) => LogScale(names[j], e) ? Math.Log10(e.Numeric[i]) : e.Numeric[i]).Append(t.Metric!.Value).ToArray()).ToList();
                var labels = names.Select((n, j) => encoded[j].Categories is string[] c ? new[] { c[0], c[^1] } : new[] { encoded[j].Numeric.Min().ToString("G3", inv), encoded[j].Numeric.Max().ToString("G3", inv) + (LogScale(n, encoded[j]) ? " (log)" : "") })
                    .Append([peers.Min(t => t.Metric!.Value).ToString("0.000", inv), peers.Max(t => t.Metric!.Value).ToString("0.000", inv)]).ToList();
                SweepCharts.ParallelCoordinates(Path.Combine(reportDir, "parallel_coordinates.png"), [.. names, spec.MetricName], rows, labels, min, scope);
                charts.Add("parallel_coordinates.png");
                // importance (log-scale features that span decades, such as the learning rate)
                imp = [.. ImportanceOf(spec, peers, names)];
                if (peers.Count >= 4)
                {
                    SweepCharts.ImportanceBars(Path.Combine(reportDir, "importance.png"), names,
                        [(spec.MetricName, imp.Select(x => x.Item2).ToArray()), ("training time", imp.Select(x => x.Item3).ToArray())], scope);
                    charts.Add("importance.png");
                    md.Append($"\n## Hyperparameter importance ({scope})\n\n| hyperparameter | for {spec.MetricName} | for training time |\n|---|---:|---:|\n");
                    foreach (var (n, m, t) in imp.OrderByDescending(x => x.Item2)) md.Append(string.Create(inv, $"| {n} | {m:P1} | {t:P1} |\n"));
                    md.Append("\n![importance](importance.png)\n");
                }
            }
            // two objectives: the metric against training time, the Pareto front highlighted (like with like)
            var (scopeTrials, front, where) = Pareto(spec, trials);
            if (spec.TimeObjective && scopeTrials.Count >= 2)
            {
                SweepCharts.Pareto(Path.Combine(reportDir, "pareto.png"), spec.MetricName, [.. scopeTrials.Select(t => t.WallS ?? 0)], [.. scopeTrials.Select(t => t.Metric!.Value)],
                    [.. scopeTrials.Select(t => front.Contains(t))], where);
                charts.Add("pareto.png");
                md.Append($"\n## Pareto front: {spec.MetricName} and training time ({where})\n\nNo other trial is both faster and better than these. `gptlab sweep report DIR --fastest-within 0.02` makes best.json the fastest of them within 0.02 of the best.\n\n| config | {spec.MetricName} | training time | {string.Join(" | ", names)} |\n|---:|---:|---:|{string.Concat(names.Select(_ => "---|"))}\n");
                foreach (var t in front)
                    md.Append(string.Create(inv, $"| {t.ConfigId} | {t.Metric:0.0000} | {t.WallS:0.0} s | {string.Join(" | ", names.Select(n => Val(t, n)))} |\n"));
            }
            // the text written at each loss level, across every trial (the seed study's table)
            var levels = LossLevels.Pick(final.SelectMany(t =>
            {
                var run = new RunDirectory(SweepWorker.TrialDir(at.Artifacts, t.ConfigId));
                IReadOnlyList<SampleRecord> samples;
                try { samples = run.ReadSamples(); }
                catch (Exception e) when (e is IOException or GptLabException) { samples = []; }
                return samples.Select(s => ($"{t.ConfigId}", s));
            }));
            if (levels.Count > 0)
            {
                md.Append("\n## Generated text at each loss level\n\n| val NLL | config | step | sample |\n|---:|---:|---:|---|\n");
                foreach (var (config, sample) in levels)
                    md.Append(string.Create(inv, $"| {sample.ValLoss:0.000} | {config} | {sample.Step:N0} | {RunReport.MarkdownCell(sample.Text)} |\n"));
            }
            md.Append("\n## Charts\n\n");
            foreach (var c in charts.Where(c => c != "importance.png")) md.Append($"![{c}]({c})\n\n");
        }
        string mdPath = Path.Combine(reportDir, "trials.md");
        AtomicFile.WriteAllText(mdPath, md.ToString());
        return new Result(mdPath, Path.Combine(reportDir, "trials.csv"), bestPreset, charts, imp);
    }

    /// <summary>Like with like: the trials of the first phase, where every configuration trained for the same
    /// iterations (for grid and random, the only phase), done with a finite metric.</summary>
    internal static List<Trial> PhaseOne(IReadOnlyList<Trial> trials) =>
        trials.Where(t => t.Phase == 0 && t.Status == "done" && t.Metric is double m && double.IsFinite(m)).OrderBy(t => t.ConfigId).ToList();

    /// <summary>Which hyperparameters matter for the metric and for training time, over <paramref name="peers"/>
    /// (NaN with fewer than 4); parameters that span decades enter as their logarithm.</summary>
    internal static IReadOnlyList<(string Name, double Metric, double Time)> ImportanceOf(SweepSpec spec, IReadOnlyList<Trial> peers, IReadOnlyList<string> names)
    {
        var encoded = names.Select(n => Encode(peers, n)).ToList();
        var features = peers.Select((t, i) => encoded.Select((e, j) => IsLogScale(spec, names[j], e) ? Math.Log10(e.Numeric[i]) : e.Numeric[i]).ToArray()).ToList();
        var forMetric = Importance.Compute(names, features, peers.Select(t => t.Metric!.Value).ToList(), spec.Seed);
        var forTime = Importance.Compute(names, features, peers.Select(t => t.WallS ?? 0).ToList(), spec.Seed);
        return names.Select((n, i) => (n, forMetric[i].Importance, forTime[i].Importance)).ToList();
    }

    /// <summary>A numeric hyperparameter drawn log-uniformly or spanning a decade or more.</summary>
    internal static bool IsLogScale(SweepSpec spec, string name, (double[] Numeric, string[]? Categories) e) =>
        e.Categories == null && e.Numeric.Length > 0 && e.Numeric.All(v => v > 0) &&
        (e.Numeric.Max() / e.Numeric.Min() >= 10 || spec.Parameters.GetValueOrDefault(name) is JsonObject d && d.ContainsKey("log_uniform"));

    /// <summary>Each configuration's result (the latest phase it reached), the finished ones best first, and the
    /// hyperparameter names.</summary>
    private static (List<Trial> Final, List<Trial> Done, List<string> Names) Ranked(SweepSpec spec, IReadOnlyList<Trial> trials)
    {
        var final = trials.GroupBy(t => t.ConfigId).Select(g => g.OrderByDescending(t => t.Phase).First()).ToList();
        var done = final.Where(t => t.Status == "done" && t.Metric is double m && double.IsFinite(m))
            .OrderByDescending(t => t.Phase).ThenBy(t => spec.Minimize ? t.Metric : -t.Metric).ToList();
        var names = spec.Parameters.Keys.Concat(done.SelectMany(t => t.Params.Values.Keys)).Distinct().ToList();
        return (final, done, names);
    }

    /// <summary>trials.csv: one row per configuration (its latest phase), ranked by the metric; the report writes it
    /// and the dashboard serves it.</summary>
    /// <summary>The best finished configuration as a ready preset (`gptlab train --config best.json`): its full config
    /// at the last phase's iterations, a comment naming the trial and its metric; null while no trial is done.</summary>
    public static JsonObject? BestPreset(string sweep, SweepSpec spec, IReadOnlyList<Trial> trials, Trial? pick = null)
    {
        var (_, done, _) = Ranked(spec, trials);
        if (done.Count == 0) return null;
        var best = pick ?? done[0];
        var node = JsonSerializer.SerializeToNode(spec.TrialConfig(best.Params, spec.Phases.Count - 1), Json.Options)!.AsObject();
        var preset = new JsonObject { ["_comment"] = string.Create(CultureInfo.InvariantCulture, $"best of sweep {sweep}: config {best.ConfigId}, {spec.MetricName} {best.Metric:0.0000}") };
        foreach (var (k, v) in node) preset[k] = v?.DeepClone();
        return preset;
    }

    public static string TrialsCsv(SweepSpec spec, IReadOnlyList<Trial> trials)
    {
        var inv = CultureInfo.InvariantCulture;
        var (final, done, names) = Ranked(spec, trials);
        bool metricIsNll = spec.MetricName == "val_nll";   // then one val_nll column, not two
        var csv = new StringBuilder("rank,config,phase,iters,status," + string.Join(",", names) + $",{spec.MetricName}{(metricIsNll ? "" : ",val_nll")},wall_s,tokens_per_s\n");
        int rank = 0;
        foreach (var t in done.Concat(final.Except(done)))
        {
            bool ok = done.Contains(t);
            string nll = metricIsNll ? "" : string.Create(inv, $",{t.ValNll:R}");
            csv.Append(string.Create(inv, $"{(ok ? ++rank : 0)},{t.ConfigId},{t.Phase},{t.Iters},{t.Status},{string.Join(",", names.Select(n => Val(t, n)))},{t.Metric:R}{nll},{t.WallS:R},{t.TokensPerS:R}\n"));
        }
        return csv.ToString();
    }

    private static string Val(Trial t, string name) => t.Params.Values.TryGetValue(name, out var v) && v != null ? v.ToJsonString().Trim('"') : "";

    private static string Safe(string s) => new(s.Select(c => char.IsLetterOrDigit(c) ? c : '_').ToArray());

    /// <summary>A hyperparameter as numbers: its value, or the index of its category when not numeric.</summary>
    internal static (double[] Numeric, string[]? Categories) Encode(IReadOnlyList<Trial> trials, string name)
    {
        var raw = trials.Select(t => t.Params.Values.GetValueOrDefault(name)).ToList();
        if (raw.All(v => v is JsonValue jv && jv.TryGetValue(out double _)))
            return (raw.Select(v => v!.GetValue<double>()).ToArray(), null);
        var cats = raw.Select(v => v?.ToJsonString().Trim('"') ?? "").Distinct().Order().ToArray();
        return (raw.Select(v => (double)Array.IndexOf(cats, v?.ToJsonString().Trim('"') ?? "")).ToArray(), cats);
    }
}
