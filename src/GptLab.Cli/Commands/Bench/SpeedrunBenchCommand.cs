using System.CommandLine;
using System.Text.Json;
using GptLab.Benchmarks;
using GptLab.IO;
using GptLab.Training;
using Spectre.Console;

namespace GptLab.Cli.Commands.Bench;

/// <summary><c>gptlab bench speedrun</c>: minutes to a target val NLL, per seed, and the ablation of the record's options.</summary>
internal static class SpeedrunBenchCommand
{
    public static Command Create()
    {
        var preset = new Option<string>("--preset") { Description = "the config to race (a preset or a JSON file)", DefaultValueFactory = _ => "shakespeare-char-speedrun" };
        var target = (new Option<double>("--target") { Description = "the validation NLL to reach", DefaultValueFactory = _ => 1.47 }).Above(0, double.MaxValue);
        var budget = (new Option<double>("--budget-min") { Description = "training minutes allowed (evaluation excluded)", DefaultValueFactory = _ => 30 }).Above(0, double.MaxValue);
        var evalEvery = (new Option<int>("--eval-every") { Description = "evaluate the whole validation split every N steps", DefaultValueFactory = _ => 100 }).AtLeast(1);
        var seeds = new Option<string>("--seeds") { Description = "comma-separated seeds, one run each; the summary gives the median", DefaultValueFactory = _ => "1337" };
        var full = new Option<bool>("--full") { Description = "keep training after the target (to the budget or max_iters)" };
        var sets = new Option<string[]>("--set") { Description = "override any config key (e.g. dtype=float32, optimizer=adamw)" };
        var threads = (new Option<int?>("--threads") { Description = "intra-op threads (default: all cores)" }).AtLeast(1);
        var json = new Option<bool>("--json") { Description = "print one JSON object per run (and the summary)" };
        var ablate = new Option<bool>("--ablate") { Description = "also race the preset with each speedrun option switched back to nanoGPT's default, and print a table of minutes to the target" };
        var cmd = new Command("speedrun", "Race a config to a validation NLL on its dataset: minutes, steps and tokens to 1.70/1.60/1.50/target, whole-split evaluations off the clock.")
        {
            preset, target, budget, evalEvery, seeds, full, sets, threads, json, ablate,
        };
        cmd.SetAction(p =>
        {
            string name = p.GetValue(preset)!;
            var seedList = BenchArgs.Ints(p.GetValue(seeds)!).ToList();
            if (seedList.Count == 0) throw new GptLabException("--seeds needs at least one seed");
            var options = new SpeedrunOptions { Target = p.GetValue(target), BudgetMinutes = p.GetValue(budget), EvalEvery = p.GetValue(evalEvery), StopAtTarget = !p.GetValue(full) };
            bool asJson = p.GetValue(json);
            var baseSets = new List<string>(p.GetValue(sets) ?? []);
            if (p.GetValue(threads) is int t) baseSets.Add($"threads={t}");
            TrainConfig Config(IEnumerable<string> extra) => ConfigResolver.Resolve([ConfigResolver.LoadPreset(name)], baseSets.Concat(extra));
            var ablations = p.GetValue(ablate) ? SpeedrunAblation.Of(Config([])) : [];
            if (p.GetValue(ablate) && ablations.Count == 0) throw new GptLabException($"--ablate: {name} uses none of the speedrun options ({string.Join(", ", SpeedrunAblation.OptionKeys)}) — nothing to switch back");
            using var signals = new SignalCancellation();
            var variants = new List<(SpeedrunAblation? Ablation, List<SpeedrunResult> Results)> { (null, []) };
            variants.AddRange(ablations.Select(a => ((SpeedrunAblation?)a, new List<SpeedrunResult>())));
            foreach (var (ablation, results) in variants)
            {
                foreach (int seed in seedList)
                {
                    var config = Config(ablation is null ? [$"seed={seed}"] : [ablation.Set, $"seed={seed}"]);
                    string label = ablation is null ? name : $"{name} with {ablation.Set}";
                    if (!asJson) Console.WriteLine($"{label}, seed {seed}: {config.NLayer}L/{config.NHead}H/{config.NEmbd}, block {config.BlockSize}, batch {config.BatchSize}×{config.GradientAccumulationSteps}, {JsonEnum.Name(config.Optimizer)}, {JsonEnum.Name(config.Dtype)}, max_iters {config.MaxIters:N0}; target {options.Target}, budget {options.BudgetMinutes} min (clock: training only)");
                    var r = Speedrun.Run(name, config, options, asJson ? null : pt => Console.WriteLine($"  step {pt.Step,6:N0}  {pt.Tokens / 1e6,7:0.00}M tokens  {pt.TrainMinutes,6:0.00} min  val NLL {pt.ValNll:0.0000} ({pt.NatsPerChar:0.0000} nats/char)"), signals.Token);
                    results.Add(r);
                    if (asJson) Console.WriteLine(JsonSerializer.Serialize(r, Json.Line));
                    else
                    {
                        foreach (var m in r.Milestones)
                            Console.WriteLine(m.Minutes is double min ? $"  val ≤ {m.Loss:0.00}: {min:0.00} min, step {m.Step:N0}, {m.Tokens / 1e6:0.00}M tokens" : $"  val ≤ {m.Loss:0.00}: not reached");
                        Console.WriteLine($"  best val NLL {r.BestValNll:0.0000} at step {r.BestStep:N0}; {r.TrainMinutes:0.00} min training ({r.MsPerStep:0} ms/step), {r.EvalMinutes:0.00} min evaluating; ended at the {r.Ended}");
                    }
                    if (signals.Token.IsCancellationRequested) break;
                }
                if (results.Count > 1) PrintMedians(name, ablation, results, asJson);
                if (signals.Token.IsCancellationRequested) break;
            }
            if (ablations.Count > 0) PrintAblation(variants, options.Target, asJson);
            return 0;
        });
        return cmd;
    }

    private static double? MedianMinutes(IReadOnlyList<SpeedrunResult> results, int milestone) =>
        results.All(r => r.Milestones[milestone].Minutes is not null) ? GptLab.Runs.Measure.Median(results.Select(r => r.Milestones[milestone].Minutes!.Value).ToList()) : null;

    private static void PrintMedians(string name, SpeedrunAblation? ablation, List<SpeedrunResult> results, bool asJson)
    {
        var summary = new
        {
            preset = name, ablation = ablation?.Set, seeds = results.Select(r => r.Seed).ToList(),
            median_best_val_nll = GptLab.Runs.Measure.Median(results.Select(r => r.BestValNll).ToList()),
            median_minutes = results[0].Milestones.Select((m, i) => new { loss = m.Loss, reached = results.Count(r => r.Milestones[i].Minutes is not null), minutes = MedianMinutes(results, i) }).ToList(),
        };
        Console.WriteLine(asJson ? JsonSerializer.Serialize(summary, Json.Line)
            : $"median of {results.Count} seeds: best val NLL {summary.median_best_val_nll:0.0000}; " + string.Join("; ", summary.median_minutes.Select(m => m.minutes is double x ? $"≤ {m.loss:0.00} in {x:0.00} min" : $"≤ {m.loss:0.00} reached by {m.reached} of {results.Count}")));
    }

    /// <summary>The ablation table: minutes to the target of the preset and of each option switched back (medians over seeds).</summary>
    private static void PrintAblation(List<(SpeedrunAblation? Ablation, List<SpeedrunResult> Results)> variants, double target, bool asJson)
    {
        var done = variants.Where(v => v.Results.Count > 0).ToList();
        int at = done[0].Results[0].Milestones.ToList().FindIndex(m => m.Loss == target);
        double? baseline = MedianMinutes(done[0].Results, at);
        var rows = done.Select(v => new
        {
            option = v.Ablation?.Key, preset_value = v.Ablation?.Value, nanogpt_value = v.Ablation?.Default,
            minutes = MedianMinutes(v.Results, at),
            median_best_val_nll = GptLab.Runs.Measure.Median(v.Results.Select(r => r.BestValNll).ToList()),
            ms_per_step = GptLab.Runs.Measure.Median(v.Results.Select(r => r.MsPerStep).ToList()),
        }).ToList();
        if (asJson)
        {
            Console.WriteLine(JsonSerializer.Serialize(new { ablation_target = target, rows }, Json.Line));
            return;
        }
        var table = new Table().AddColumns("switched back", "minutes to " + target.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture), "× the preset's", "ms/step", "best val NLL");
        foreach (var r in rows)
            table.AddRow(Markup.Escape(r.option is null ? "nothing (the preset)" : $"{r.option}: {r.preset_value} → {r.nanogpt_value}"),
                r.minutes is double m ? $"{m:0.00}" : "not reached", r.minutes is double x && baseline is double b0 ? $"{x / b0:0.00}" : "–", $"{r.ms_per_step:0}", $"{r.median_best_val_nll:0.0000}");
        AnsiConsole.Write(table);
    }
}
