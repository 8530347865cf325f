using System.Text.Json.Nodes;
using GptLab.Checkpoints;
using GptLab.IO;
using GptLab.Runs;
using GptLab.Training;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace GptLab.Server;

/// <summary>The runs table, one run (config, checkpoints, samples), its metrics, and its live event stream.</summary>
internal static class RunEndpoints
{
    public static void Map(IEndpointRouteBuilder app, RunCatalog catalog, DashboardOptions options)
    {
        app.MapGet("/api/runs", () => Results.Json(new JsonArray([.. catalog.Runs().Select(l => l.ToJson())]), WebJson.Options));

        app.MapGet("/api/run", (string? name) =>
        {
            var run = catalog.Run(name);
            var changes = ConfigChanges.Of(run);
            var samples = JsonLines.Read<SampleRecord>(run.SamplesPath, 0);
            return Results.Json(new
            {
                Summary = catalog.Summary(run),
                changes.Preset,
                changes.Config,
                changes.Changes,
                Checkpoints = CheckpointStore.OfRun(run).Select(c => new { c.Kind, Step = c.Manifest?.Step, BestValNll = c.Manifest?.BestValLoss }),
                Samples = samples.Items,
                SamplesOffset = samples.Offset,
                // the dataset's n-gram baselines (`gptlab baseline ngram`), drawn dashed beside the loss
                Baselines = (run.DatasetDirectory() is string data ? BaselineFile.Read(data)?.Ngram : null)?.Select(b => new { b.Order, b.Nll }),
            }, WebJson.Options);
        });

        app.MapGet("/api/run/metrics", (string? name, string? envelope) =>
        {
            var run = catalog.Run(name);
            int? slices = envelope is null ? null
                : int.TryParse(envelope, out int e) && e is >= 10 and <= 100_000 ? e : throw HttpProblem.BadRequest("envelope is a number of slices from 10 to 100000");
            // as columns (a third of the bytes, and no object per line for the browser to make)
            return Results.Bytes(MetricColumns.Read(run.MetricsPath, slices), "application/json; charset=utf-8");
        });

        // Downloads: the metrics as CSV, or the file itself
        app.MapGet("/api/run/metrics.csv", (string? name) =>
        {
            var run = catalog.Run(name);
            return Results.File(System.Text.Encoding.UTF8.GetBytes(MetricsCsv.Of(run.ReadMetrics())), "text/csv; charset=utf-8", $"{run.Name}-metrics.csv");
        });
        app.MapGet("/api/run/metrics.jsonl", (string? name) =>
        {
            var run = catalog.Run(name);
            if (!File.Exists(run.MetricsPath)) throw HttpProblem.NotFound($"run '{name}' has no metrics yet");
            return Results.File(File.ReadAllBytes(run.MetricsPath), "application/x-ndjson", $"{run.Name}-metrics.jsonl");
        });

        // Live: the lines appended to metrics.jsonl and samples.jsonl since the client's offsets, and status changes.
        app.MapGet("/api/run/events", async (HttpContext http, string? name, long? offset, [FromQuery(Name = "samples_offset")] long? samplesOffset) =>
        {
            var run = catalog.Run(name);
            if (offset is < 0 || samplesOffset is < 0) throw HttpProblem.BadRequest("offset and samples_offset are byte offsets: 0 or more");
            var ct = Dashboard.Stopping(http);
            var sse = ServerSentEvents.Start(http);
            long metricsAt = offset ?? 0, samplesAt = samplesOffset ?? 0;
            string? lastStatus = null;
            var keepAlive = DateTime.UtcNow;
            using var timer = new PeriodicTimer(options.PollInterval);
            try
            {
                do
                {
                    var metrics = JsonLines.Read<MetricRecord>(run.MetricsPath, metricsAt);
                    if (metrics.Reset) { await sse.Send("reset", new { }, ct); return; }
                    if (metrics.Items.Count > 0) await sse.Send("metrics", new { Records = metrics.Items, metrics.Offset }, ct);
                    metricsAt = metrics.Offset;
                    var samples = JsonLines.Read<SampleRecord>(run.SamplesPath, samplesAt);
                    if (samples.Items.Count > 0) await sse.Send("samples", new { Records = samples.Items, samples.Offset }, ct);
                    samplesAt = samples.Offset;
                    var status = RunSummary.StateOf(run);
                    if (status != lastStatus) await sse.Send("status", new { State = status }, ct);
                    lastStatus = status;
                    if (DateTime.UtcNow - keepAlive > TimeSpan.FromSeconds(15)) { await sse.KeepAlive(ct); keepAlive = DateTime.UtcNow; }
                }
                while (await timer.WaitForNextTickAsync(ct));
            }
            catch (OperationCanceledException) { /* the page closed or the server stops */ }
        });
    }
}
