using System.CommandLine;
using GptLab.Data;
using GptLab.Evaluation;
using GptLab.Runs;
using GptLab.Training;
using Spectre.Console;

namespace GptLab.Cli.Commands;

/// <summary><c>gptlab compare</c>: the loss study — one model per loss, evaluated the same way, one report.</summary>
internal static class CompareCommand
{
    public static Command Create()
    {
        var preset = new Option<string?>("--preset") { Description = "base preset (default shakespeare-char-cpu)" };
        var configFile = new Option<string?>("--config") { Description = "base config file" };
        var data = new Option<string?>("--data") { Description = "prepared dataset" };
        var losses = new Option<string>("--losses") { Description = "comma-separated losses", DefaultValueFactory = _ => "cross_entropy,squentropy,mse,ce_mse" };
        var sets = new Option<string[]>("--set") { Description = "override any config key for every model" };
        var outDir = new Option<string?>("--out") { Description = "study folder (default runs/compare-<time>)" };
        var threads = (new Option<int?>("--threads") { Description = "intra-op threads (default: all cores)" }).AtLeast(1);
        var cmd = new Command("compare", "Train the same model once per loss and compare them (report.md, results.csv, val_nll.png).")
        {
            preset, configFile, data, losses, sets, outDir, threads,
        };
        cmd.SetAction(p =>
        {
            var extra = new List<string>(p.GetValue(sets) ?? []);
            if (p.GetValue(data) is string d) extra.Add($"dataset={d}");
            if (p.GetValue(threads) is int th) extra.Add($"threads={th}");
            var (config, source, note) = ConfigResolver.FromPreset(p.GetValue(preset), p.GetValue(configFile), extra);
            if (note is not null) AnsiConsole.MarkupLineInterpolated($"[yellow]{note}[/]");
            (config, var evalNote) = LossComparison.FitEvaluations(config, extra.Select(ConfigResolver.KeyOf).ToHashSet());
            if (evalNote is not null) AnsiConsole.MarkupLineInterpolated($"[yellow]{evalNote}[/]");
            var list = LossComparison.ParseLosses(p.GetValue(losses)!);
            string dir = p.GetValue(outDir) ?? Path.Combine("runs", $"compare-{DateTime.Now:yyyyMMdd-HHmmss}");
            if (Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any())
                throw new GptLabException($"{dir} is not empty — pick another --out");
            using var ds = DatasetLocator.Open(config.Dataset, s => AnsiConsole.MarkupLineInterpolated($"[grey]{s}[/]"));
            using var signals = new SignalCancellation();
            var rows = LossComparison.Run(config, ds, list, dir, loss =>
            {
                AnsiConsole.MarkupLineInterpolated($"[bold]training with {loss}[/]");
                return [new CompareProgress()];
            }, signals.Token);
            string report = ComparisonReport.Write(dir, $"Loss comparison: {source} on {config.Dataset}", rows, ds.Directory);
            var t = new Table().Border(TableBorder.Rounded).AddColumns("loss", "train loss (own)", "val NLL", "val ppl", "nats/char", "tokens/s", "wall");
            foreach (var r in rows)
                t.AddRow(r.Loss, $"{r.TrainLoss:0.0000}", $"{r.ValNll:0.0000}", $"{r.ValPerplexity:0.00}", $"{r.NatsPerChar:0.0000}", $"{r.TokensPerS:N0}", $"{r.WallS:0.0} s");
            AnsiConsole.Write(t);
            AnsiConsole.MarkupLineInterpolated($"[green]wrote[/] {report}");
            return 0;
        });
        return cmd;
    }

    private sealed class CompareProgress : ITrainingObserver
    {
        public void OnEval(MetricRecord e) =>
            Console.WriteLine($"  step {e.Step}: train loss {e.TrainLoss:0.0000}, val loss {e.ValLoss:0.0000}, val nll {e.ValNll:0.0000}");
    }
}
