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
