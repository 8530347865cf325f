using System.Threading.Channels;
using GptLab.Checkpoints;
using GptLab.Evaluation;
using GptLab.Runs;
using GptLab.Sampling;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace GptLab.Server;

/// <summary>Try the model of a run: the top next tokens for a prompt (as `gptlab predict`) and a sample streamed
/// token by token (as `gptlab sample --stream`).</summary>
internal static class ModelEndpoints
{
    public const int MaxSampleTokens = 2000;

    public sealed record PredictRequest(string? Prompt, int? Top);

    public static void Map(IEndpointRouteBuilder app, RunCatalog catalog, ModelHost host)
    {
        app.MapPost("/api/predict", async (string? name, string? checkpoint, PredictRequest? body) =>
        {
            string dir = CheckpointOf(catalog.Run(name), checkpoint);
            string prompt = body?.Prompt ?? "";
            int top = body?.Top ?? 10;
            if (prompt.Length == 0) throw HttpProblem.BadRequest("give a prompt");
            if (top is < 1 or > 100) throw HttpProblem.BadRequest("top must be between 1 and 100");
            var rows = await host.Use(dir, ck =>
            {
                var ids = ck.Tokenizer.Encode(prompt);
                if (ids.Length == 0) throw HttpProblem.BadRequest("the prompt encodes to no tokens; give some text");
                return NextTokenTable.Predict(ck.Model, ck.Tokenizer, ids, top, false);
            });
            return Results.Json(rows[^1].Top.Select(t => new { t.Id, Token = t.Text, t.Probability }), WebJson.Options);
        });

        app.MapGet("/api/sample", async (HttpContext http, string? name, string? prompt, int? tokens, double? temperature, [FromQuery(Name = "top_k")] int? topK,
            [FromQuery(Name = "top_p")] double? topP, long? seed, string? checkpoint) =>
        {
            string dir = CheckpointOf(catalog.Run(name), checkpoint);
            if (topP is double p && !(p > 0 && p <= 1)) throw HttpProblem.BadRequest("top_p must be in (0, 1]");
            int count = tokens ?? 200;
            if (count is < 1 or > MaxSampleTokens) throw HttpProblem.BadRequest($"tokens must be between 1 and {MaxSampleTokens}");
            if (temperature is double t && !(t == 0 || (t >= 0.01 && t <= 10)))   // NaN and 1e-300 included
                throw HttpProblem.BadRequest("temperature must be 0 (greedy) or between 0.01 and 10");
            if (topK is < 0) throw HttpProblem.BadRequest("top_k must be ≥ 0");
            var ct = Dashboard.Stopping(http);
            var channel = Channel.CreateUnbounded<string>();
            var generation = host.Use(dir, ck =>
            {
                var decoder = new StreamingDecoder(ck.Tokenizer);
                var options = new SamplingOptions
                {
                    MaxNewTokens = count, Temperature = temperature ?? 0.8, TopK = topK ?? 200, TopP = topP ?? 1.0, Seed = seed ?? 1337, VocabLimit = ck.Tokenizer.VocabSize,
                    StopToken = ck.Tokenizer.EosId,
                };
                try
                {
                    Sampler.Generate(ck.Model, Sampler.PromptIds(ck.Tokenizer, prompt ?? ""), 1, options, t =>
                    {
                        ct.ThrowIfCancellationRequested();   // the page went away: stop generating
                        channel.Writer.TryWrite(decoder.Push(t[0]));
                    });
                }
                finally { channel.Writer.TryComplete(); }
                return true;
            });
            if (generation.IsFaulted) await generation;   // busy, or a bad prompt: a 4xx before the stream starts
            var sse = ServerSentEvents.Start(http);
            try
            {
                await foreach (var text in channel.Reader.ReadAllAsync(ct))
                    if (text.Length > 0) await sse.Send("token", text, ct);
                await generation;
                await sse.Send("done", new { }, ct);
            }
            catch (OperationCanceledException) { }
            catch (GptLabException e) { await sse.Send("error", e.Message, CancellationToken.None); }
        });
    }

    /// <summary>The run's checkpoint to use: <c>best</c>, <c>last</c>, or (none given) its best, else its last.</summary>
    private static string CheckpointOf(RunDirectory run, string? which = null)
    {
        string dir = which switch
        {
            null or "" => CheckpointStore.PreferredOf(run),
            "best" => run.BestCheckpoint,
            "last" => run.LastCheckpoint,
            _ => throw HttpProblem.BadRequest("checkpoint must be best or last"),
        };
        if (!CheckpointStore.Exists(dir)) throw HttpProblem.NotFound($"run '{run.Name}' has no checkpoint yet");
        return dir;
    }
}
