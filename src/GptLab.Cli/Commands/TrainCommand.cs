using System.CommandLine;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using GptLab.Checkpoints;
using GptLab.IO;
using GptLab.Runs;
using GptLab.Training;
using Spectre.Console;

namespace GptLab.Cli.Commands;

/// <summary><c>gptlab train</c>: train a GPT (defaults: the CPU Shakespeare preset on the bundled text).</summary>
internal static class TrainCommand
{
    /// <summary>Keys a resumed run may change; everything else must match the checkpoint.</summary>
    private static readonly HashSet<string> ResumableKeys =
    [
        "max_iters", "epochs", "eval_interval", "eval_iters", "log_interval", "always_save_checkpoint", "threads", "eval_only",
        "sample_tokens", "sample_temperature", "sample_top_k", "peak_flops", "lr_decay_iters", "min_lr", "decay_lr",
    ];

    public static Command Create()
    {
        var preset = new Option<string?>("--preset") { Description = $"a preset from configs/ ({string.Join(", ", ConfigResolver.Presets)}); default shakespeare-char-cpu" };
        var configFile = new Option<string?>("--config") { Description = "a JSON config file (nanoGPT key names)" };
        var data = new Option<string?>("--data") { Description = "a prepared dataset folder (overrides the config's dataset)" };
        var sets = new Option<string[]>("--set") { Description = "override any config key: --set learning_rate=3e-4 (repeatable)", AllowMultipleArgumentsPerToken = false };
        var outDir = new Option<string?>("--out") { Description = "run folder (default runs/<preset>-<time>)" };
        var resume = new Option<string?>("--resume") { Description = "continue the run in this folder from its last checkpoint" };
        var threads = new Option<int?>("--threads") { Description = "intra-op threads (default: all cores)" };
        var peak = new Option<double?>("--peak-flops") { Description = "FLOP/s to compute MFU against (default: measured once)" };
        var samples = new Option<int>("--samples") { Description = "samples printed at the end", DefaultValueFactory = _ => 2 };
        var tensorboard = new Option<bool>("--tensorboard") { Description = "also write TensorBoard event files to <run>/tensorboard" };
        var cmd = new Command("train", "Train a GPT: nanoGPT's train.py, with checkpoints, resume and a live display.")
        {
            preset, configFile, data, sets, outDir, resume, threads, peak, samples, tensorboard,
        };
        cmd.SetAction(p =>
        {
            var extra = new List<string>(p.GetValue(sets) ?? []);
            if (p.GetValue(threads) is int t) extra.Add($"threads={t}");
            if (p.GetValue(peak) is double pf) extra.Add($"peak_flops={pf}");
            if (p.GetValue(data) is string d) extra.Add($"dataset={d}");
            bool tb = p.GetValue(tensorboard);
            return p.GetValue(resume) is string r
                ? Resume(r, extra, p.GetValue(samples), tb)
                : Fresh(p.GetValue(preset), p.GetValue(configFile), extra, p.GetValue(outDir), p.GetValue(samples), tb);
        });
        return cmd;
    }

    private static int Fresh(string? preset, string? configFile, List<string> sets, string? outDir, int samples, bool tensorboard)
    {
        if (preset != null && configFile != null) throw new GptLabException("give --preset or --config, not both");
        string source = configFile ?? preset ?? "shakespeare-char-cpu";
        var layers = new List<JsonObject> { ConfigResolver.LoadPreset(source) };
        var config = ConfigResolver.Resolve(layers, sets);
        if (config.InitFrom == "resume")
        {
            // nanoGPT's init_from='resume': continue the run in --out
            if (outDir is null) throw new GptLabException("init_from=resume needs --out runs/NAME (the run to continue), or use --resume runs/NAME");
            return Resume(outDir, sets.Where(s => !s.StartsWith("init_from", StringComparison.Ordinal)).ToList(), samples, tensorboard);
        }
        string name = Path.GetFileNameWithoutExtension(source);
        var run = new RunDirectory(outDir ?? Path.Combine("runs", $"{name}-{DateTime.Now:yyyyMMdd-HHmmss}"));
        if (run.Exists) throw new GptLabException($"{run.Path} already holds a run — use --resume {run.Path} to continue it, or --out another folder");
        TorchRuntime.Initialize(config.EffectiveThreads);
        using var dataset = DataLocator.Open(config.Dataset);
        if (config.InitFrom is not ("scratch" or "resume"))
        {
            var from = CheckpointStore.ReadManifest(config.InitFrom);
            if (from.TokenizerKind != dataset.Tokenizer.Kind || from.DataVocabSize != dataset.Tokenizer.VocabSize)
                throw new GptLabException($"init_from {config.InitFrom} uses a {from.TokenizerKind} tokenizer ({from.DataVocabSize:N0}); {config.Dataset} was prepared with {dataset.Tokenizer.Kind} ({dataset.Tokenizer.VocabSize:N0}) — prepare the data with the same tokenizer");
            config = config.WithModelOf(from.Model, dataset.Tokenizer.VocabSize);
            if (config.BlockSize > dataset.Train.Count) throw new GptLabException($"block_size {config.BlockSize} of {config.InitFrom} is larger than the training data");
        }
        return Train(config, dataset, run, null, samples, tensorboard, () =>
        {
            run.Create();
            Json.Write(run.ConfigPath, config);
            Json.Write(Path.Combine(run.Path, "preset.json"), new { preset = source });
        });
    }

    private static int Resume(string dir, List<string> sets, int samples, bool tensorboard)
    {
        var run = new RunDirectory(dir);
        if (!run.Exists) throw new GptLabException($"{dir} is not a run folder (no config.json)");
        if (!CheckpointStore.Exists(run.LastCheckpoint))
            throw new GptLabException($"{dir} has no checkpoint to resume from ({run.LastCheckpoint}) — start it again instead");
        var saved = Json.Read<TrainConfig>(run.ConfigPath, "the run's config.json is damaged");
        foreach (var s in sets)
        {
            string key = s.Split('=')[0].Trim().Replace('-', '_');
            if (!ResumableKeys.Contains(key))
                throw new GptLabException($"config key '{key}' cannot change on resume (it would change the model or the data); allowed: {string.Join(", ", ResumableKeys.Order())}");
        }
        var config = ConfigResolver.Resolve([], sets, saved);
        TorchRuntime.Initialize(config.EffectiveThreads);
        using var dataset = DataLocator.Open(config.Dataset);
        var manifest = CheckpointStore.ReadManifest(run.LastCheckpoint);
        return Train(config, dataset, run, run.LastCheckpoint, samples, tensorboard, () =>
        {
            // only once the checkpoint is known to fit the data and the config: nothing is rewritten before
            run.TruncateAfter(manifest.Step, keepEvalAtStep: manifest.LastEvalStep == manifest.Step);
            Json.Write(run.ConfigPath, config);
            AnsiConsole.MarkupLineInterpolated($"resuming [bold]{run.Name}[/] at step {manifest.Step:N0}");
        });
    }

    /// <summary>Builds the trainer (which checks the config against the data and any checkpoint), then lets
    /// <paramref name="commit"/> write the run folder, then trains.</summary>
    private static int Train(TrainConfig config, Data.Dataset dataset, RunDirectory run, string? resumeFrom, int samples, bool tensorboard, Action commit)
    {
        using var cts = new CancellationTokenSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; cts.Cancel(); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; cts.Cancel(); });
        var started = DateTime.UtcNow;
        using var trainer = new Trainer(config, dataset, run, resumeFrom);
        commit();
        long parameters = trainer.Model.NumParams();
        RunStatus Status(string state, int step, string? message = null) => RunStatus.OfThisProcess(state, step, started, parameters, message);
        run.WriteStatus(Status("running", trainer.Step));
        TrainResult result;
        try
        {
            var display = new TrainDisplay(trainer.MaxIters, run.Path);
            List<ITrainingObserver> extra = [new StatusObserver(run, s => Status("running", s))];
            if (tensorboard) extra.Add(new TensorBoardObserver(Path.Combine(run.Path, "tensorboard")));
            result = display.Run(observers => trainer.Run([.. observers, .. extra], cts.Token));
        }
        catch (Exception e)
        {
            run.WriteStatus(Status("failed", trainer.Step, e.Message));
            throw;
        }
        string state = result.Outcome == TrainOutcome.Finished ? "finished" : "stopped";
        run.WriteStatus(Status(state, result.Step));
        AnsiConsole.MarkupLineInterpolated(
            $"[green]{state}[/] at step {result.Step:N0}: best val loss {result.BestValLoss:0.0000}, {result.WallS:0.0} s — {run.Path}");
        if (result.Outcome == TrainOutcome.Finished && samples > 0 && !config.EvalOnly)
            SampleCommand.PrintSamples(trainer.Model, dataset.Tokenizer, samples, 300, config.Seed);
        return 0;
    }

    /// <summary>Keeps status.json's step fresh (a heartbeat for `gptlab runs`).</summary>
    private sealed class StatusObserver(RunDirectory run, Func<int, RunStatus> status) : ITrainingObserver
    {
        public void OnEval(MetricRecord eval) => run.WriteStatus(status(eval.Step));
    }
}
