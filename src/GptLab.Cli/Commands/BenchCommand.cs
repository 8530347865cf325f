using System.CommandLine;
using System.Text.Json;
using GptLab.IO;
using GptLab.Training;
using Spectre.Console;

namespace GptLab.Cli.Commands;

/// <summary><c>gptlab bench</c>: training-step speed, split into forward / backward / optimizer, MFU and memory.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var preset = new Option<string>("--preset") { Description = "a = 4L/4H/128, block 64, batch 12; b = 6L/6H/384, block 256, batch 12; or any preset", DefaultValueFactory = _ => "a" };
        var dtype = new Option<string>("--dtype") { Description = "float32 | bfloat16 | float16", DefaultValueFactory = _ => "float32" };
        dtype.AcceptOnlyFromAmong("float32", "bfloat16", "float16");
        var iters = (new Option<int>("--iters") { Description = "timed iterations", DefaultValueFactory = _ => 30 }).AtLeast(1);
        var warmup = (new Option<int>("--warmup") { Description = "untimed iterations first", DefaultValueFactory = _ => 5 }).AtLeast(0);
        var threads = (new Option<int?>("--threads") { Description = "intra-op threads (default: all cores)" }).AtLeast(1);
        var vocab = (new Option<int>("--vocab") { Description = "vocabulary size of the random tokens", DefaultValueFactory = _ => 65 }).AtLeast(2);
        var sets = new Option<string[]>("--set") { Description = "override any config key" };
        var json = new Option<bool>("--json") { Description = "print one JSON object" };
        var generate = (new Option<int?>("--generate") { Description = "instead: time generating N tokens in each window mode (and slide without the KV cache)" }).AtLeast(1);
        var window = new Option<string?>("--window") { Description = "with --generate: only this window mode (slide, jump, rolling)" };
        window.AcceptOnlyFromAmong("slide", "jump", "rolling");
        var rssAt = new Option<string?>("--rss-at") { Description = "record resident memory after these iterations (comma-separated, counting warm-up)" };
        var cmd = new Command("bench", "Time training steps (tokens/s, ms/iter split, MFU, peak RSS); `bench prepare` and `bench bpe` time the data path.")
        {
            preset, dtype, iters, warmup, threads, vocab, sets, json, generate, window, rssAt, PrepareBenchCommand(), BpeBenchCommand(), LossBenchCommand(), ClaimBenchCommand(), LeaseBenchCommand(), SamplersBenchCommand(), SpeedrunBenchCommand(),
        };
        cmd.SetAction(p =>
        {
            string name = p.GetValue(preset)!;
            var extra = new List<string>(p.GetValue(sets) ?? []) { $"dtype={p.GetValue(dtype)}" };
            if (p.GetValue(threads) is int t) extra.Add($"threads={t}");
            var config = ConfigResolver.Resolve([ConfigResolver.LoadPreset(Alias(name))], [.. AliasSets(name), .. extra]);
            if (p.GetValue(generate) is int n)
            {
                var modes = p.GetValue(window) is string w ? [JsonEnum.Parse<Sampling.WindowMode>(w, "--window")]
                    : config.PosEmbedding == Model.PosEmbedding.Rope ? new[] { Sampling.WindowMode.Slide, Sampling.WindowMode.Jump, Sampling.WindowMode.Rolling }
                    : [Sampling.WindowMode.Slide, Sampling.WindowMode.Jump];
                foreach (var g in Benchmark.Generation(name, config, p.GetValue(vocab), n, modes))
                    Console.WriteLine(p.GetValue(json) ? JsonSerializer.Serialize(g, Json.Line)
                        : $"{name}: {n} tokens, window {g.Window}{(g.Cache ? "" : " (no cache)")}: {g.TokensPerS:N0} tok/s; inside block_size {g.InsideBlockTokensPerS:N0}, past it {g.PastBlockTokensPerS:N0} tok/s; first token {g.FirstTokenMs:0.0} ms");
                return 0;
            }
            var rss = p.GetValue(rssAt) is string at ? Ints(at).ToHashSet() : null;
            var r = Benchmark.Run(name, config, p.GetValue(vocab), p.GetValue(iters), p.GetValue(warmup), null, rss);
            if (Distributed.MpiSync.Detect().Rank != 0) return 0;   // under mpirun rank 0 reports
            if (p.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(r, Json.Line));
                return 0;
            }
            var table = new Table().Border(TableBorder.Rounded).AddColumns("figure", "value");
            table.AddRow("model", $"{name}: {r.Parameters / 1e6:0.00}M parameters, batch {r.BatchSize} × block {r.BlockSize}, {r.Dtype}, {r.Threads} threads");
            table.AddRow("tokens/s", $"{r.TokensPerS:N0}");
            table.AddRow("ms/iter", $"{r.MsPerIter:0.00}");
            table.AddRow("  data", $"{r.DataMs:0.00}");
            table.AddRow("  forward", $"{r.ForwardMs:0.00}");
            table.AddRow("  backward + clip", $"{r.BackwardMs:0.00}");
            table.AddRow("  optimizer", $"{r.OptimizerMs:0.00}");
            if (r.WorldSize > 1) table.AddRow("  allreduce", $"{r.SyncMs:0.00} ({r.WorldSize} ranks, {r.SyncMs / r.MsPerIter:P0} of the step)");
            table.AddRow("MFU", $"{r.Mfu * 100:0.0}% of {r.PeakFlops / 1e9:0} GFLOP/s (measured {r.Dtype} matmul)");
            table.AddRow("peak RSS", $"{r.PeakRssMb:0} MiB");
            table.AddRow("MKL shim", r.MklShim ? "loaded" : TorchRuntime.MklShimNote ?? "no");
            if (r.Rss is { Count: > 0 } points) table.AddRow("RSS", string.Join(", ", points.Select(x => $"{x.RssMb:0} MiB at iter {x.Iter:N0}")));
            AnsiConsole.Write(table);
            return 0;
        });
        return cmd;
    }

    private static Command SpeedrunBenchCommand()
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
            var seedList = Ints(p.GetValue(seeds)!).ToList();
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

    private static Command PrepareBenchCommand()
    {
        var mb = (new Option<double>("--mb") { Description = "size of the corpus: Tiny Shakespeare repeated", DefaultValueFactory = _ => 50 }).AtLeast(0.0);
        var tokenizers = new Option<string>("--tokenizers") { Description = "comma-separated", DefaultValueFactory = _ => "char,gpt2" };
        var json = new Option<bool>("--json") { Description = "print JSON lines" };
        var cmd = new Command("prepare", "Time `gptlab prepare` (MB/s) per tokenizer on the bundled text repeated to --mb.") { mb, tokenizers, json };
        cmd.SetAction(p =>
        {
            string file = Path.Combine(Path.GetTempPath(), $"gptlab-bench-{Environment.ProcessId}.txt");
            try
            {
                Data.DataBenchmarks.WriteRepeatedShakespeare(file, p.GetValue(mb));
                foreach (var tok in p.GetValue(tokenizers)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                {
                    var r = Data.DataBenchmarks.Prepare(file, tok);
                    Console.WriteLine(p.GetValue(json) ? JsonSerializer.Serialize(r, Json.Line)
                        : $"prepare {r.Tokenizer}: {r.Megabytes:0.0} MB in {r.Seconds:0.0} s = {r.MegabytesPerS:0.0} MB/s, {r.Tokens:N0} tokens, peak RSS {r.PeakRssMb:0} MiB");
                }
            }
            finally { File.Delete(file); }
            return 0;
        });
        return cmd;
    }

    private static Command BpeBenchCommand()
    {
        var mb = (new Option<double>("--mb") { Description = "training corpus: Tiny Shakespeare repeated to this size", DefaultValueFactory = _ => 100 }).AtLeast(0.0);
        var vocabs = new Option<string>("--vocab") { Description = "comma-separated vocabulary sizes to train on the repeated text", DefaultValueFactory = _ => "4096,16384" };
        var heldOut = new Option<string?>("--stories") { Description = "a TinyStories-style file (<|endoftext|> lines): train on 90% of stories, report tokens/char on the rest" };
        var storyVocabs = new Option<string>("--stories-vocab") { Description = "vocabulary sizes for --stories", DefaultValueFactory = _ => "4096,8192,16384" };
        var json = new Option<bool>("--json") { Description = "print JSON lines" };
        var cmd = new Command("bpe", "Time BPE training (count + merge) and memory; tokens/char on held-out stories.") { mb, vocabs, heldOut, storyVocabs, json };
        cmd.SetAction(p =>
        {
            void Print(Data.BpeBench r) => Console.WriteLine(p.GetValue(json) ? JsonSerializer.Serialize(r, Json.Line)
                : $"bpe {r.VocabSize:N0} on {r.Megabytes:0.0} MB: count {r.CountSeconds:0.0} s, merges {r.MergeSeconds:0.0} s, peak RSS {r.PeakRssMb:0} MiB"
                  + (r.HeldOutTokensPerChar is double t ? $", held-out {t:0.0000} tokens/char" : ""));
            if (p.GetValue(mb) > 0)
            {
                string file = Path.Combine(Path.GetTempPath(), $"gptlab-bench-{Environment.ProcessId}.txt");
                try
                {
                    Data.DataBenchmarks.WriteRepeatedShakespeare(file, p.GetValue(mb));
                    var corpus = Data.CorpusSource.FromPath(file, null);
                    foreach (int v in Ints(p.GetValue(vocabs)!))
                        Print(Data.DataBenchmarks.Bpe(corpus.ReadPieces().Select(x => x.Text), new FileInfo(file).Length / 1e6, v));
                }
                finally { File.Delete(file); }
            }
            if (p.GetValue(heldOut) is string stories)
            {
                var docs = Data.CorpusSource.FromPath(stories, null).With(Data.DocumentMode.Separator, "<|endoftext|>", null).ReadPieces().Select(x => x.Text).ToList();
                int cut = docs.Count * 9 / 10;
                string held = string.Join("\n", docs.Skip(cut));
                double trainMb = docs.Take(cut).Sum(d => (double)System.Text.Encoding.UTF8.GetByteCount(d)) / 1e6;
                foreach (int v in Ints(p.GetValue(storyVocabs)!))
                {
                    try { Print(Data.DataBenchmarks.Bpe(docs.Take(cut), trainMb, v, held)); }
                    catch (GptLabException e) { Console.WriteLine($"bpe {v:N0} on {trainMb:0.0} MB: {e.Message}"); }
                }
            }
            return 0;
        });
        return cmd;
    }

    private static Command LossBenchCommand()
    {
        var tokens = (new Option<int>("--tokens") { Description = "rows of logits (B·T)", DefaultValueFactory = _ => 1024 }).AtLeast(1);
        var vocab = (new Option<int>("--vocab") { Description = "vocabulary size", DefaultValueFactory = _ => 50304 }).AtLeast(2);
        var losses = new Option<string>("--losses") { Description = "comma-separated", DefaultValueFactory = _ => "cross_entropy,squentropy,mse,ce_mse" };
        var cmd = new Command("loss", "Peak extra memory and time of each loss's forward+backward (vs a naive one-hot MSE).") { tokens, vocab, losses };
        cmd.SetAction(p =>
        {
            TorchRuntime.Initialize();
            foreach (var r in Losses.LossBenchmark.Run(p.GetValue(tokens), p.GetValue(vocab), p.GetValue(losses)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)))
                Console.WriteLine($"{r.Loss}: {r.Tokens:N0} × {r.Vocab:N0} logits ({r.LogitsMb:0} MiB): peak extra {r.PeakExtraMb:0} MiB, {r.Ms:0} ms");
            return 0;
        });
        return cmd;
    }

    private static Command ClaimBenchCommand()
    {
        var storage = new Option<string?>("--storage") { Description = "postgresql://… (a study named gptlab-bench-claims-<time> is made in it and deleted after) or omit for SQLite in a temporary folder" };
        var workers = (new Option<int>("--workers") { Description = "claiming threads, each with its own connection", DefaultValueFactory = _ => 8 }).AtLeast(1);
        var trials = (new Option<int>("--trials") { Description = "no-op trials to claim", DefaultValueFactory = _ => 10000 }).AtLeast(1);
        var json = new Option<bool>("--json") { Description = "print JSON" };
        var cmd = new Command("claims", "Claim throughput of a study storage: no-op trials claimed and completed per second, p99 latency, double claims.") { storage, workers, trials, json };
        cmd.SetAction(p =>
        {
            string tmp = Directory.CreateTempSubdirectory("gptlab-claims-").FullName;
            try
            {
                var at = p.GetValue(storage) is string url ? new Sweeps.StudyLocation(tmp, url, $"gptlab-bench-claims-{DateTime.UtcNow:yyyyMMddHHmmssfff}") : new Sweeps.StudyLocation(tmp);
                var r = Sweeps.ClaimBenchmark.Run(at, p.GetValue(workers), p.GetValue(trials));
                Console.WriteLine(p.GetValue(json) ? JsonSerializer.Serialize(r, Json.Line)
                    : $"{r.Storage}: {r.Trials:N0} claims by {r.Workers} workers in {r.Seconds:0.0} s = {r.ClaimsPerS:N0} claims/s; latency p50 {r.P50Ms:0.00} ms, p99 {r.P99Ms:0.00} ms; double or lost claims: {r.DoubleClaims} (the bench's study is deleted)");
            }
            finally { Directory.Delete(tmp, true); }
            return 0;
        });
        return cmd;
    }

    private static Command LeaseBenchCommand()
    {
        var rounds = (new Option<int>("--rounds") { Description = "pause-and-take-over rounds", DefaultValueFactory = _ => 5 }).AtLeast(1);
        var timeout = (new Option<double>("--heartbeat-timeout") { Description = "the study's heartbeat_timeout (s)", DefaultValueFactory = _ => 2 }).AtLeast(0.5);
        var steps = (new Option<int>("--steps") { Description = "training steps per fencing-cost run", DefaultValueFactory = _ => 300 }).AtLeast(20);
        var json = new Option<bool>("--json") { Description = "print JSON" };
        var cmd = new Command("lease", "A sweep trial's lease: how soon a paused (SIGSTOP) worker stops after waking once its trial was taken over, what it still writes, and what fencing costs per step.") { rounds, timeout, steps, json };
        cmd.SetAction(p =>
        {
            TorchRuntime.Initialize(1);
            string tmp = Directory.CreateTempSubdirectory("gptlab-lease-").FullName;
            try
            {
                var r = Sweeps.LeaseBenchmark.Run(tmp, args =>
                {
                    var psi = new System.Diagnostics.ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
                    if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet") psi.ArgumentList.Add(typeof(BenchCommand).Assembly.Location);
                    foreach (var a in args) psi.ArgumentList.Add(a);
                    psi.Environment["CI"] = "1";
                    return System.Diagnostics.Process.Start(psi)!;
                }, p.GetValue(rounds), p.GetValue(timeout), p.GetValue(steps), p.GetValue(json) ? null : s => AnsiConsole.MarkupLineInterpolated($"[grey]{s}[/]"));
                Console.WriteLine(p.GetValue(json) ? JsonSerializer.Serialize(r, Json.Line)
                    : $"paused worker, heartbeat_timeout {r.HeartbeatTimeoutS:0.#} s, {r.Rounds} rounds: stopped {r.StopMsMedian:0.0} ms after waking (median; max {r.StopMsMax:0.0}); files written after waking: {r.FilesWrittenAfterWake}\n" +
                      $"fencing: {r.CheckNs:0.0} ns per check; {r.MsPerStepFenced:0.000} ms/step with a lease vs {r.MsPerStepUnfenced:0.000} without (× {r.FenceCostRatio:0.000})");
            }
            finally { Directory.Delete(tmp, true); }
            return 0;
        });
        return cmd;
    }

    private static Command SamplersBenchCommand()
    {
        var data = new Option<string>("--data") { Description = "prepared dataset", DefaultValueFactory = _ => "data/shakespeare-char" };
        var trials = (new Option<int>("--trials") { Description = "trials per arm and seed", DefaultValueFactory = _ => 100 }).AtLeast(2);
        var iters = (new Option<int>("--iters") { Description = "iterations per trial", DefaultValueFactory = _ => 300 }).AtLeast(9);
        var seeds = new Option<string>("--seeds") { Description = "comma-separated seeds", DefaultValueFactory = _ => "1,2,3" };
        var budgets = new Option<string>("--budgets") { Description = "trial counts to report the best after", DefaultValueFactory = _ => "20,50,100" };
        var threads = (new Option<int>("--threads") { Description = "threads for each trial", DefaultValueFactory = _ => Environment.ProcessorCount }).AtLeast(1);
        var json = new Option<bool>("--json") { Description = "print JSON" };
        var cmd = new Command("samplers", "Random search vs TPE vs TPE + ASHA pruning on one search space: best val NLL after a budget of trials, and CPU-minutes.") { data, trials, iters, seeds, budgets, threads, json };
        cmd.SetAction(p =>
        {
            var budgetList = Ints(p.GetValue(budgets)!).ToList();
            if (budgetList.Count == 0 || budgetList.Any(b => b < 1)) throw new GptLabException("--budgets: trial counts ≥ 1, comma-separated");
            var seedList = Ints(p.GetValue(seeds)!).ToList();
            using (Data.DatasetLocator.Open(p.GetValue(data)!, s => AnsiConsole.MarkupLineInterpolated($"[grey]{s}[/]"))) { }   // prepared once, up front
            string tmp = Directory.CreateTempSubdirectory("gptlab-samplers-").FullName;
            try
            {
                var runs = Sweeps.SamplerBenchmark.Run(tmp, Path.GetFullPath(p.GetValue(data)!), p.GetValue(trials), p.GetValue(iters), seedList, budgetList, p.GetValue(threads),
                    p.GetValue(json) ? null : s => AnsiConsole.MarkupLineInterpolated($"[grey]{s}[/]"));
                if (p.GetValue(json)) { Console.WriteLine(JsonSerializer.Serialize(runs, Json.Line)); return 0; }
                var table = new Table().Border(TableBorder.Rounded).AddColumns(["arm", .. budgetList.Select(b => $"best after {b} (median)"), "CPU-minutes (median)", "pruned"]);
                foreach (var arm in Sweeps.SamplerBenchmark.Arms)
                {
                    var rs = runs.Where(r => r.Arm == arm).ToList();
                    table.AddRow([arm, .. budgetList.Select((_, i) => $"{Runs.Measure.Median(rs.Select(r => r.BestAfter[i]).ToList()):0.0000}"), $"{Runs.Measure.Median(rs.Select(r => r.CpuMinutes).ToList()):0.0}", $"{rs.Sum(r => r.Pruned)}"]);
                }
                AnsiConsole.Write(table);
            }
            finally { Directory.Delete(tmp, true); }
            return 0;
        });
        return cmd;
    }

    private static IEnumerable<int> Ints(string s) => s.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(int.Parse);

    private static string Alias(string name) => name switch { "a" => "shakespeare-char-cpu", "b" => "shakespeare-char", _ => name };

    /// <summary>b is nanoGPT's shakespeare_char model at the reference's batch 12 and no dropout.</summary>
    private static string[] AliasSets(string name) => name == "b" ? ["batch_size=12", "dropout=0"] : [];
}
