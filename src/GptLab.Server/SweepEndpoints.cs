using System.Collections.Concurrent;
using System.Data.Common;
using GptLab.IO;
using GptLab.Reports;
using GptLab.Sweeps;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace GptLab.Server;

/// <summary>Sweeps: the list, and one study's trials, intermediate values, phases and importance (read-only; the
/// page polls it, so curves grow while workers train).</summary>
internal static class SweepEndpoints
{
    // importance (a random forest) is refitted only when the first phase gains a trial
    private static readonly ConcurrentDictionary<string, (string Key, IReadOnlyList<(string Name, double Metric, double Time)> Value)> ImportanceCache = new();

    public static void Map(IEndpointRouteBuilder app, RunCatalog catalog, DashboardOptions options)
    {
        StudyLocation Locate(string? name) =>
            options.Storage is not null && name == options.Study ? new StudyLocation(Path.Combine(catalog.Root, name!), options.Storage, name)
            : new StudyLocation(catalog.Sweep(name));

        IEnumerable<string> Names() => catalog.Sweeps().Concat(options.Storage is not null && options.Study is not null ? [options.Study] : []);

        app.MapGet("/api/sweeps", () => Results.Json(Names().Select(name =>
        {
            using var study = Study.OpenReadOnly(Locate(name));
            var s = study.Status();
            return new
            {
                Name = name, Method = JsonEnum.Name(study.Spec.Method), Metric = study.Spec.MetricName, s.Configurations, s.Trials, s.Done, s.Pruned, s.Running, s.Queued, s.Failed,
                Phase = s.Phase + 1, s.Phases, Best = s.Best?.Metric, s.Finished,
            };
        }).ToList(), WebJson.Options));

        app.MapGet("/api/sweep/trials.csv", (string? name) =>
        {
            using var study = Study.OpenReadOnly(Locate(name));
            return Results.File(System.Text.Encoding.UTF8.GetBytes(SweepReport.TrialsCsv(study.Spec, study.Trials())), "text/csv; charset=utf-8", $"{name!.Replace('/', '-')}-trials.csv");
        });

        // the best configuration as a ready preset, to download (`gptlab train --config best.json`)
        app.MapGet("/api/sweep/best.json", (string? name) =>
        {
            var at = Locate(name);
            using var study = Study.OpenReadOnly(at);
            var preset = SweepReport.BestPreset(name!, study.Spec, study.Trials()) ?? throw HttpProblem.NotFound($"sweep '{name}' has no finished trial yet");
            return Results.File(System.Text.Encoding.UTF8.GetBytes(preset.ToJsonString(Json.Options)), "application/json", $"{name!.Replace('/', '-')}-best.json");
        });

        // the trials as the runs page lists them under their sweep: each one's run folder, status and metric
        app.MapGet("/api/sweep/trials", (string? name) =>
        {
            var at = Locate(name);
            using var study = Study.OpenReadOnly(at);
            return Results.Json(study.Trials().GroupBy(t => t.ConfigId).Select(g => g.MaxBy(t => t.Phase)!).OrderBy(t => t.ConfigId).Select(t => new
            {
                t.ConfigId, Phase = t.Phase + 1, t.Status, t.Metric, Run = RunOf(at, t),
            }), WebJson.Options);
        });

        string? RunOf(StudyLocation at, Trial t)
        {
            string dir = SweepWorker.TrialDir(at.Artifacts, t.ConfigId);
            return File.Exists(Path.Combine(dir, "config.json")) ? catalog.NameOf(dir) : null;
        }

        app.MapGet("/api/sweep", (string? name) =>
        {
            var at = Locate(name);
            using var study = Study.OpenReadOnly(at);
            var spec = study.Spec;
            var trials = study.Trials();
            IReadOnlyList<TrialEval> evals;
            try { evals = study.Evals(); }
            catch (DbException) { evals = []; }   // a study made before intermediate values were stored
            var names = spec.Parameters.Keys.Concat(trials.SelectMany(t => t.Params.Values.Keys)).Distinct().ToList();
            var peers = SweepReport.PhaseOne(trials);
            string key = string.Join(",", peers.Select(t => t.Id));
            var importance = peers.Count >= 4
                ? ImportanceCache.AddOrUpdate(at.ToString(), _ => (key, SweepReport.ImportanceOf(spec, peers, names)),
                    (_, old) => old.Key == key ? old : (key, SweepReport.ImportanceOf(spec, peers, names))).Value
                : null;
            var status = StudyStatus.Of(trials, spec);
            var pareto = SweepReport.Pareto(spec, trials);
            return Results.Json(new
            {
                Name = name, Method = JsonEnum.Name(spec.Method), Metric = spec.MetricName, spec.Minimize, Parameters = names,
                // judged on every trial's value (queued ones too), so a study in progress draws the same axes as when finished
                LogScale = names.ToDictionary(n => n, n => trials.Count > 0 && SweepReport.IsLogScale(spec, n, SweepReport.Encode(trials, n))),
                Phases = spec.Phases.Select((p, i) => new
                {
                    Phase = i + 1, p.MaxIters, Trials = trials.Count(t => t.Phase == i), Done = trials.Count(t => t.Phase == i && t.Status == "done"),
                    Running = trials.Count(t => t.Phase == i && t.Status == "running"), Failed = trials.Count(t => t.Phase == i && t.Status == "failed"),
                    Pruned = trials.Count(t => t.Phase == i && t.Status == "pruned"),
                }),
                Status = new { status.Done, status.Pruned, status.ToSample, status.Running, status.Queued, status.Failed, Phase = status.Phase + 1, status.Phases, status.Finished, BestConfig = status.Best?.ConfigId, Best = status.Best?.Metric },
                Trials = trials.Select(t => new
                {
                    t.Id, t.ConfigId, Phase = t.Phase + 1, t.Iters, t.Status, t.Worker, t.Metric, t.ValNll, t.WallS, t.TokensPerS, t.Error, Params = t.Params.Values,
                    Run = RunOf(at, t),
                }),
                Evals = evals.Select(e => new { e.ConfigId, Phase = e.Phase + 1, e.Step, e.ValNll }),
                Scope = $"phase 1: {peers.Count} configurations at {spec.Phases[0].MaxIters:N0} iterations",
                Importance = importance?.Select(i => new { i.Name, i.Metric, i.Time }),
                // the metric against training time, as the report draws it (trial ids: those weighed, those on the front)
                Pareto = new { pareto.Scope, Trials = pareto.Trials.Select(t => t.Id), Front = pareto.Front.Select(t => t.Id) },
            }, WebJson.Options);
        });
    }
}
