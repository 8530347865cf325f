using System.CommandLine;
using System.Text.Json;
using GptLab.Evaluation;
using GptLab.IO;
using GptLab.Runs.Charts;
using GptLab.Tokenizers;
using Spectre.Console;

namespace GptLab.Cli.Commands;

/// <summary><c>gptlab predict</c>: the model's top-N next tokens for a prompt.</summary>
internal static class PredictCommand
{
    public static Command Create()
    {
        var model = new ModelLocator();
        var prompt = new Option<string>("--prompt") { Description = "the text before the next token", Required = true };
        var top = (new Option<int>("--top") { Description = "how many candidates", DefaultValueFactory = _ => 10 }).AtLeast(1);
        var positions = new Option<string>("--positions") { Description = "last | all (every position, with the rank of the real next token)", DefaultValueFactory = _ => "last" };
        positions.AcceptOnlyFromAmong("last", "all");
        var json = new Option<bool>("--json") { Description = "print JSON" };
        var chart = new Option<string?>("--chart") { Description = "write a bar chart of the last position (PNG; a new file, --force replaces one)" };
        var force = new Option<bool>("--force") { Description = "replace the --chart file if it exists" };
        var cmd = new Command("predict", "Show the model's most likely next tokens for a prompt.") { prompt, top, positions, json, chart, force };
        model.AddTo(cmd);
        cmd.SetAction(p =>
        {
            if (p.GetValue(top) < 1) throw new GptLabException("--top must be ≥ 1");
            if (p.GetValue(chart) is string target) Runs.OutputPaths.RequireNewFile(target, p.GetValue(force), "--chart");
            using var ck = model.Load(p);
            string text = p.GetValue(prompt)!;
            var ids = ck.Tokenizer.Encode(text);
            if (ids.Length == 0) throw new GptLabException("the prompt encodes to no tokens; give some text");
            var rows = NextTokenTable.Predict(ck.Model, ck.Tokenizer, ids, p.GetValue(top), p.GetValue(positions) == "all");
            if (p.GetValue(chart) is string png)
            {
                NextTokenChart.Save(png, text, rows[^1].Top.Select(t => (t.Text, t.Probability)).ToList());
                if (!p.GetValue(json)) AnsiConsole.MarkupLineInterpolated($"[green]wrote[/] {png}");
            }
            if (p.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(rows, Json.Options));
                return 0;
            }
            foreach (var row in rows)
            {
                // the context on its own line, its end kept (the part that matters); the table stays narrow
                AnsiConsole.MarkupLine($"after \"{Markup.Escape(ChartStyle.Printable(Tail(row.Context)))}\"");
                var table = new Table().Border(TableBorder.Rounded)
                    .AddColumn("rank").AddColumn("token").AddColumn("id").AddColumn(new TableColumn("probability").RightAligned().NoWrap());
                for (int i = 0; i < row.Top.Count; i++)
                {
                    var t = row.Top[i];
                    bool real = row.Actual?.Id == t.Id;
                    string tokenText = Markup.Escape(ChartStyle.Printable(t.Text));
                    table.AddRow($"{i + 1}", real ? $"[green]{tokenText}[/]" : tokenText, $"{t.Id}", Percent(t.Probability));
                }
                if (row.Actual is TokenProbability a)
                    table.Caption = new TableTitle($"actual next: \"{Markup.Escape(ChartStyle.Printable(a.Text))}\" rank {row.ActualRank}, p = {Percent(a.Probability)}");
                AnsiConsole.Write(table);
            }
            return 0;
        });
        return cmd;
    }

    private static string Tail(string s) => s.Length > 100 ? "…" + s[^100..] : s;

    private static string Percent(double p) => $"{p * 100:0.00}%";
}
