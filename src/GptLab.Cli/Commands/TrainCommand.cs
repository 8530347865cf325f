using System.CommandLine;
using GptLab.Training;
using Spectre.Console;

namespace GptLab.Cli.Commands;

/// <summary><c>gptlab train</c>: train a GPT (defaults: the CPU Shakespeare preset on the bundled text).</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var preset = new Option<string?>("--preset") { Description = $"a preset ({string.Join(", ", ConfigResolver.Presets)}); default {ConfigResolver.DefaultPreset}" };
        var configFile = new Option<string?>("--config") { Description = "a JSON config file (nanoGPT key names)" };
        var data = new Option<string?>("--data") { Description = "a prepared dataset folder (overrides the config's dataset)" };
        var sets = new Option<string[]>("--set") { Description = "override any config key: --set learning_rate=3e-4 (repeatable)" };
        var outDir = new Option<string?>("--out") { Description = "run folder (default runs/<preset>-<time>)" };
        var resume = new Option<string?>("--resume") { Description = "continue the run in this folder from its last checkpoint" };
        var threads = (new Option<int?>("--threads") { Description = "intra-op threads (default: all cores)" }).AtLeast(1);
        var peak = (new Option<double?>("--peak-flops") { Description = "FLOP/s to compute MFU against (default: measured once)" }).AtLeast(0.0);
        var samples = (new Option<int>("--samples") { Description = "samples printed at the end", DefaultValueFactory = _ => 2 }).AtLeast(0);
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
            Cli.RequireAtLeast(p.GetValue(samples), 0, "--samples");
            var request = new TrainRequest
            {
                Preset = p.GetValue(preset), ConfigFile = p.GetValue(configFile), Sets = extra, OutDir = p.GetValue(outDir), ResumeDir = p.GetValue(resume),
            };
            var options = new SessionOptions { Log = s => AnsiConsole.MarkupLineInterpolated($"[grey]{s}[/]"), TensorBoard = p.GetValue(tensorboard) };
            using var signals = new SignalCancellation();
            using var session = TrainingSession.Open(request, options);
            if (!session.IsMain)
            {
                session.Train([], signals.Token);   // other ranks of an mpirun: train, print nothing
                return 0;
            }
            var display = new TrainDisplay(session.MaxIters, session.Run.Path);
            var result = display.Run(observers => session.Train(observers, signals.Token));
            string state = result.Outcome == TrainOutcome.Finished ? "finished" : "stopped";
            AnsiConsole.MarkupLineInterpolated(
                $"[green]{state}[/] at step {result.Step:N0}: best val NLL {result.BestValLoss:0.0000}, {result.WallS:0.0} s — {session.Run.Path}");
            if (result.Outcome == TrainOutcome.Finished && !session.Config.EvalOnly)
                SampleCommand.PrintSamples(session.Model, session.Dataset.Tokenizer, p.GetValue(samples), 300, session.Config.Seed);
            return 0;
        });
        return cmd;
    }
}
