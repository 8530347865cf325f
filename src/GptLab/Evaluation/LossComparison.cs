using GptLab.Checkpoints;
using GptLab.Data;
using GptLab.IO;
using GptLab.Losses;
using GptLab.Runs;
using GptLab.Sampling;
using GptLab.Training;

namespace GptLab.Evaluation;

/// <summary>
/// The loss study: trains the same config once per loss (same seed, same data), evaluates each best checkpoint
/// with cross-entropy on the whole validation split, and collects one row per loss.
/// </summary>
public static class LossComparison
{
    /// <summary>Parses a comma-separated list of loss names (at least one).</summary>
    public static IReadOnlyList<LossKind> ParseLosses(string list)
    {
        var losses = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(LossOptions.Parse).ToList();
        return losses.Count > 0 ? losses : throw new GptLabException("--losses needs at least one loss");
    }

    /// <summary>The fewest evaluations a comparison's curves get: with fewer (a preset's eval_interval 250 at
    /// max_iters 300 gives points at 0, 250 and 300) the straight segments between them mislead.</summary>
    public const int MinEvaluations = 10;

    /// <summary>Fits eval_interval so that each model is evaluated at least <see cref="MinEvaluations"/> times,
    /// unless the user set it (<paramref name="explicitKeys"/>). Returns the config and a note saying what changed.</summary>
    public static (TrainConfig Config, string? Note) FitEvaluations(TrainConfig config, ICollection<string> explicitKeys)
    {
        if (explicitKeys.Contains("eval_interval") || config.Epochs > 0 || config.MaxIters <= 0) return (config, null);
        if (config.MaxIters / Math.Max(1, config.EvalInterval) >= MinEvaluations) return (config, null);
        int interval = Math.Max(1, config.MaxIters / MinEvaluations);
        return (config with { EvalInterval = interval },
            $"eval_interval {config.EvalInterval:N0} → {interval:N0} so that the curves get at least {MinEvaluations} points over max_iters {config.MaxIters:N0} (set it to keep your own)");
    }

    public static IReadOnlyList<ComparisonRow> Run(TrainConfig config, Dataset data, IReadOnlyList<LossKind> losses, string outDir,
        Func<string, IReadOnlyList<ITrainingObserver>>? observersFor = null, CancellationToken cancel = default)
    {
        if (losses.Count == 0) throw new GptLabException("--losses needs at least one loss");
        var rows = new List<ComparisonRow>();
        foreach (var kind in losses)
        {
            cancel.ThrowIfCancellationRequested();
            string loss = LossOptions.Name(kind);
            var c = config with { Loss = kind };
            var rec = new RecordingObserver();
            TrainResult result;
            RunDirectory run;
            using (var session = TrainingSession.Start(c, Path.Combine(outDir, loss), new SessionOptions { Dataset = data }))
            {
                run = session.Run;
                result = session.Train([rec, .. observersFor?.Invoke(loss) ?? []], cancel);
            }
            string ckDir = CheckpointStore.PreferredOf(run);
            using var ck = CheckpointStore.Load(ckDir);
            var eval = Evaluator.Evaluate(ck.Model, ck.Tokenizer, data.Val, data.Meta.Val.Chars, data.Meta.Val.Bytes);
            Json.Write(Path.Combine(run.Path, "eval.json"), eval);
            var sample = Sampler.Generate(ck.Model, Sampler.PromptIds(ck.Tokenizer, ""), 1, new SamplingOptions { MaxNewTokens = 300, Seed = c.Seed, VocabLimit = ck.Tokenizer.VocabSize })[0];
            var steps = rec.Steps.Where(s => s.TokensPerS is > 0).Select(s => s.TokensPerS!.Value).ToList();
            rows.Add(new ComparisonRow
            {
                Loss = loss, Run = run.Path, TrainLoss = rec.Evals.LastOrDefault()?.TrainLoss ?? double.NaN,
                ValNll = eval.Nll, ValPerplexity = eval.Perplexity, NatsPerChar = eval.NatsPerChar, Accuracy = eval.Accuracy,
                TokensPerS = steps.Count > 0 ? Measure.Median(steps) : 0, WallS = result.WallS,
                Sample = ck.Tokenizer.Decode(sample), Curve = rec.Evals.Select(e => ((double)e.Step, e.ValNll ?? double.NaN)).ToList(),
            });
        }
        return rows;
    }
}
