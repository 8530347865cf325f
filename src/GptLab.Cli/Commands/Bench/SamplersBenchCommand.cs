using System.CommandLine;
using System.Text.Json;
using GptLab.Benchmarks;
using GptLab.IO;
using Spectre.Console;

namespace GptLab.Cli.Commands.Bench;

/// <summary><c>gptlab bench samplers</c>: random search vs TPE vs TPE + ASHA.</summary>
internal static class SamplersBenchCommand
{
    public static Command Create()
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
            var budgetList = BenchArgs.Ints(p.GetValue(budgets)!).ToList();
            if (budgetList.Count == 0 || budgetList.Any(b => b < 1)) throw new GptLabException("--budgets: trial counts ≥ 1, comma-separated");
            var seedList = BenchArgs.Ints(p.GetValue(seeds)!).ToList();
            using (Data.DatasetLocator.Open(p.GetValue(data)!, s => AnsiConsole.MarkupLineInterpolated($"[grey]{s}[/]"))) { }   // prepared once, up front
            string tmp = Directory.CreateTempSubdirectory("gptlab-samplers-").FullName;
            try
            {
                var runs = SamplerBenchmark.Run(tmp, Path.GetFullPath(p.GetValue(data)!), p.GetValue(trials), p.GetValue(iters), seedList, budgetList, p.GetValue(threads),
                    p.GetValue(json) ? null : s => AnsiConsole.MarkupLineInterpolated($"[grey]{s}[/]"));
                if (p.GetValue(json)) { Console.WriteLine(JsonSerializer.Serialize(runs, Json.Line)); return 0; }
                var table = new Table().Border(TableBorder.Rounded).AddColumns(["arm", .. budgetList.Select(b => $"best after {b} (median)"), "CPU-minutes (median)", "pruned"]);
                foreach (var arm in SamplerBenchmark.Arms)
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
}
