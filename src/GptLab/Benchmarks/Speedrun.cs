using System.Diagnostics;
using GptLab.Data;
using GptLab.Evaluation;
using GptLab.Runs;
using GptLab.Training;

namespace GptLab.Benchmarks;

/// <summary>What `gptlab bench speedrun` measures against.</summary>
public sealed record SpeedrunOptions
{
    public double Target { get; init; } = 1.47;
    public double BudgetMinutes { get; init; } = 30;
    /// <summary>Evaluate the whole validation split every this many steps (and at the end).</summary>
    public int EvalEvery { get; init; } = 100;
    public IReadOnlyList<double> Milestones { get; init; } = [1.70, 1.60, 1.50];
    /// <summary>Stop once the target is reached (the speedrun's finish line); false: train to the budget or max_iters.</summary>
    public bool StopAtTarget { get; init; } = true;
}

/// <summary>An evaluation of the whole validation split during a speedrun (NLL per token, and per character of the
/// split's text: comparable across tokenizers).</summary>
public sealed record SpeedrunPoint(int Step, long Tokens, double TrainMinutes, double ValNll, double NatsPerChar);

/// <summary>When the validation NLL first reached <see cref="Loss"/> (nulls: not within the budget).</summary>
public sealed record SpeedrunMilestone(double Loss, int? Step, long? Tokens, double? Minutes);

public sealed record SpeedrunResult
{
    public required string Preset { get; init; }
    public int Seed { get; init; }
    public double Target { get; init; }
    public double BudgetMinutes { get; init; }
    public IReadOnlyList<SpeedrunPoint> Points { get; init; } = [];
    public IReadOnlyList<SpeedrunMilestone> Milestones { get; init; } = [];
    public double BestValNll { get; init; }
    public int BestStep { get; init; }
    public double TrainMinutes { get; init; }     // the clock: training only
    public double EvalMinutes { get; init; }      // whole-split evaluations, not on the clock
    public int Steps { get; init; }
    public long Tokens { get; init; }
    public double MsPerStep { get; init; }
    public string Ended { get; init; } = "";      // target | budget | max_iters
}

/// <summary>
/// The CPU speedrun: trains a config on its dataset from scratch and evaluates the whole validation split
/// (cross-entropy, as `gptlab eval`) every <see cref="SpeedrunOptions.EvalEvery"/> steps. The clock counts training
/// only — evaluation pauses it, as the GPT-2 speedrun records count time — and the run ends at the target, at the
/// budget, or at max_iters (the schedule's end).
/// </summary>
public static class Speedrun
{
    public static SpeedrunResult Run(string preset, TrainConfig config, SpeedrunOptions options, Action<SpeedrunPoint>? progress = null, CancellationToken stop = default)
    {
        if (options.EvalEvery < 1) throw new GptLabException($"--eval-every must be ≥ 1, got {options.EvalEvery}");
        if (!(options.BudgetMinutes > 0)) throw new GptLabException($"--budget-min must be > 0, got {options.BudgetMinutes}");
        using var data = DatasetLocator.Open(config.Dataset);
        // the trainer's own estimates are off (one batch at the start and the end); samples and checkpoints too
        config = config with { EvalInterval = int.MaxValue, EvalIters = 1, LogInterval = 1, SampleTokens = 0 };
        ConfigResolver.Validate(config);
        using var trainer = new Trainer(config, data, null);
        using var watcher = new Watcher(trainer, data, options, progress, stop);
        trainer.Run([watcher], watcher.Stop);
        if (watcher.Points.Count == 0 || watcher.Points[^1].Step != trainer.Step) watcher.Evaluate(trainer.Step, (long)trainer.Step * config.TokensPerIter);
        var best = watcher.Points.MinBy(p => p.ValNll)!;
        return new SpeedrunResult
        {
            Preset = preset, Seed = config.Seed, Target = options.Target, BudgetMinutes = options.BudgetMinutes, Points = watcher.Points,
            Milestones = options.Milestones.Append(options.Target).Distinct().OrderDescending().Select(loss =>
            {
                var hit = watcher.Points.FirstOrDefault(p => p.ValNll <= loss);
                return new SpeedrunMilestone(loss, hit?.Step, hit?.Tokens, hit?.TrainMinutes);
            }).ToList(),
            BestValNll = best.ValNll, BestStep = best.Step, TrainMinutes = watcher.Clock.Elapsed.TotalMinutes, EvalMinutes = watcher.EvalTime.Elapsed.TotalMinutes,
            Steps = trainer.Step, Tokens = (long)trainer.Step * config.TokensPerIter, MsPerStep = watcher.Clock.Elapsed.TotalMilliseconds / Math.Max(1, trainer.Step),
            Ended = watcher.Ended ?? "max_iters",
        };
    }

    private sealed class Watcher(Trainer trainer, Dataset data, SpeedrunOptions options, Action<SpeedrunPoint>? progress, CancellationToken outer) : ITrainingObserver, IDisposable
    {
        private readonly CancellationTokenSource cts = CancellationTokenSource.CreateLinkedTokenSource(outer);

        public Stopwatch Clock { get; } = new();
        public Stopwatch EvalTime { get; } = new();
        public List<SpeedrunPoint> Points { get; } = [];
        public string? Ended { get; private set; }
        public CancellationToken Stop => cts.Token;

        public void OnStart(TrainingStart start) => Clock.Start();

        public void Dispose() => cts.Dispose();

        public void OnStep(MetricRecord step)
        {
            bool overBudget = Clock.Elapsed.TotalMinutes >= options.BudgetMinutes;
            if (step.Step % options.EvalEvery != 0 && !overBudget && step.Step != trainer.MaxIters) return;
            var point = Evaluate(step.Step, step.Tokens);
            if (options.StopAtTarget && point.ValNll <= options.Target) End("target");
            else if (overBudget) End("budget");
        }

        private void End(string why)
        {
            Ended = why;
            cts.Cancel();
        }

        public SpeedrunPoint Evaluate(int step, long tokens)
        {
            Clock.Stop();
            EvalTime.Start();
            try
            {
                EvalResult r;
                using (trainer.EvaluationWeights()) r = Evaluator.Evaluate(trainer.Model, data.Tokenizer, data.Val, data.Meta.Val.Chars, data.Meta.Val.Bytes, batchSize: 16);
                var point = new SpeedrunPoint(step, tokens, Clock.Elapsed.TotalMinutes, r.Nll, r.NatsPerChar);
                Points.Add(point);
                progress?.Invoke(point);
                return point;
            }
            finally
            {
                trainer.Model.train();
                EvalTime.Stop();
                Clock.Start();
            }
        }
    }
}
