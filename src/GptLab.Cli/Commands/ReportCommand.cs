using System.CommandLine;
using GptLab.Runs;
using Spectre.Console;

namespace GptLab.Cli.Commands;

/// <summary><c>gptlab report RUN [RUN…]</c>: charts, report.md and report.html.</summary>
internal static class ReportCommand
{
    public static Command Create()
    {
        var runs = new Argument<string[]>("runs") { Description = "run folders (several are overlaid)", Arity = ArgumentArity.OneOrMore };
        var outDir = new Option<string?>("--out") { Description = "where to write (default: <run>/report, or runs/report-<time> for several)" };
        var force = new Option<bool>("--force") { Description = "write into a --out folder that is not empty and holds no earlier report" };
        var cmd = new Command("report", "Draw a run's curves (loss, lr, grad norm, speed, MFU) and write report.md + report.html.") { runs, outDir, force };
        cmd.SetAction(p =>
        {
            var dirs = p.GetValue(runs)!.Select(r => new RunDirectory(Directory.Exists(r) ? r : Path.Combine("runs", r))).ToList();
            string dir = p.GetValue(outDir) ?? (dirs.Count == 1 ? dirs[0].ReportDir : Path.Combine("runs", $"report-{DateTime.Now:yyyyMMdd-HHmmss}"));
            Runs.OutputPaths.RequireOwnFolder(dir, p.GetValue(force), "--out", "report.md", "report");
            string md = RunReport.Write(dirs, dir);
            AnsiConsole.MarkupLineInterpolated($"[green]wrote[/] {md} and {Path.Combine(dir, "report.html")}");
            return 0;
        });
        return cmd;
    }
}
