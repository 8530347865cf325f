using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using GptLab.Checkpoints;
using GptLab.IO;
using GptLab.Runs;
using GptLab.Training;
using Spectre.Console;

namespace GptLab.Cli.Commands;

/// <summary><c>gptlab runs</c> and <c>gptlab runs show NAME</c>.</summary>
internal static class RunsCommand
{
    public static Command Create()
    {
        var root = new Option<string>("--root") { Description = "folder holding the runs", DefaultValueFactory = _ => "runs" };
        var json = new Option<bool>("--json") { Description = "print JSON" };
        var name = new Argument<string>("name") { Description = "a run name under --root, or a run folder" };
        var show = new Command("show", "Show one run: config changes against its preset, last metrics, checkpoints.") { name, root };
        show.SetAction(p => Show(p.GetValue(name)!, p.GetValue(root)!));
        var cmd = new Command("runs", "List runs: status, steps, tokens, best val NLL, perplexity, parameters, wall time.") { root, json, show };
        cmd.SetAction(p =>
        {
            if (!Directory.Exists(p.GetValue(root)!)) throw new GptLabException($"{p.GetValue(root)}: no such folder — pass --root DIR (where runs are)");
            var runs = RunSummary.Scan(p.GetValue(root)!);
            if (p.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(runs, Json.Options));
                return 0;
            }
            if (runs.Count == 0)
            {
                Console.WriteLine($"no runs under {p.GetValue(root)}");
                return 0;
            }
            var t = new Table().Border(TableBorder.Rounded).AddColumns("run", "status", "steps", "tokens", "best val NLL", "perplexity", "parameters", "ranks", "wall", "started");
            foreach (var r in runs)
                t.AddRow(Markup.Escape(r.Name), Color(r.Status), $"{r.Steps:N0}", $"{r.Tokens:N0}", r.BestValNll?.ToString("0.0000") ?? "–",
                    r.Perplexity?.ToString("0.00") ?? "–", r.Parameters is long n ? $"{n / 1e6:0.00}M" : "–", $"{r.WorldSize}", $"{r.WallS:0} s",
                    r.Started?.ToLocalTime().ToString("yyyy-MM-dd HH:mm") ?? "–");
            AnsiConsole.Write(t);
            return 0;
        });
        return cmd;
    }

    private static string Color(string status) => status switch
    {
        "running" => "[blue]running[/]",
        "finished" => "[green]finished[/]",
        "failed" => "[red]failed[/]",
        _ => $"[yellow]{status}[/]",
    };

    private static int Show(string name, string root)
    {
        var run = new RunDirectory(Directory.Exists(name) ? name : Path.Combine(root, name));
        if (!run.Exists) throw new GptLabException($"no run '{name}' (looked in {run.Path})");
        var summary = RunSummary.Read(run);
        AnsiConsole.MarkupLineInterpolated($"[bold]{run.Path}[/] — {summary.Status}, {summary.Steps:N0} steps, best val NLL {summary.BestValNll?.ToString("0.0000") ?? "–"}");
        var changes = ConfigChanges.Of(run);
        var diff = new Table().Border(TableBorder.Simple).AddColumns("key", changes.Preset is string preset ? $"preset {preset}" : "default", "this run");
        foreach (var c in changes.Changes) diff.AddRow(c.Key, Markup.Escape(c.Preset ?? "–"), Markup.Escape(c.Value ?? "–"));
        diff.Title = new TableTitle("config changes");
        AnsiConsole.Write(diff);
        var metrics = run.ReadMetrics();
        var last = new Table().Border(TableBorder.Simple).AddColumns("kind", "step", "loss", "train loss", "val loss", "lr", "tokens/s");
        foreach (var m in new[] { metrics.LastOrDefault(m => m.Kind == "train"), metrics.LastOrDefault(m => m.Kind == "eval") }.OfType<MetricRecord>())
            last.AddRow(m.Kind, $"{m.Step:N0}", m.Loss?.ToString("0.0000") ?? "", m.TrainLoss?.ToString("0.0000") ?? "", m.ValLoss?.ToString("0.0000") ?? "", m.Lr?.ToString("0.0e+00") ?? "", m.TokensPerS?.ToString("N0") ?? "");
        last.Title = new TableTitle("last metrics");
        AnsiConsole.Write(last);
        foreach (var c in CheckpointStore.OfRun(run))
            Console.WriteLine(c.Manifest is { } m ? $"{c.Kind}: {c.Directory} (step {m.Step:N0}, best val NLL {m.BestValLoss:0.0000})" : $"{c.Kind}: none");
        return 0;
    }
}
