using System.CommandLine;
using System.Text.Json;
using GptLab.Baselines;
using GptLab.Data;
using GptLab.IO;
using GptLab.Runs;
using Spectre.Console;

namespace GptLab.Cli.Commands;

/// <summary><c>gptlab baseline ngram</c>: what a Kneser–Ney n-gram model scores on a dataset's validation split.</summary>
internal static class BaselineCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "prepared dataset", Required = true };
        var order = new Option<string>("--order") { Description = "N (orders 1…N), or a range A..B", DefaultValueFactory = _ => "1..5" };
        var json = new Option<bool>("--json") { Description = "print one JSON object per order" };
        var ngram = new Command("ngram", "Kneser–Ney n-gram baselines (orders 1…N) on a dataset's validation split: NLL, perplexity, nats and bits per character — as `gptlab eval` reports a GPT; cached in the dataset folder.") { data, order, json };
        ngram.SetAction(p =>
        {
            var (from, to) = Orders(p.GetValue(order)!);
            using var ds = DatasetLocator.Open(p.GetValue(data)!, s => AnsiConsole.MarkupLineInterpolated($"[grey]{s}[/]"));
            var scores = NGramBaseline.Run(ds, to, p.GetValue(json) ? null : new SyncProgress(s => AnsiConsole.MarkupLineInterpolated($"[grey]{s}[/]"))).Where(s => s.Order >= from).ToList();
            if (p.GetValue(json))
            {
                foreach (var s in scores)
                    Console.WriteLine(JsonSerializer.Serialize(new { order = s.Order, nll = s.Nll, perplexity = s.Perplexity, nats_per_char = s.NatsPerChar, bits_per_char = s.BitsPerChar }, Json.Line));
                return 0;
            }
            var t = new Table().Border(TableBorder.Rounded).AddColumns("order", "val NLL (nats/token)", "perplexity", "nats/char", "bits/char", "distinct n-grams", "counting")
                .Title($"Kneser–Ney n-grams on {ds.Directory} ({ds.Tokenizer.Kind}, vocab {ds.Tokenizer.VocabSize:N0})");
            foreach (var s in scores)
                t.AddRow($"{s.Order}", $"{s.Nll:0.0000}", $"{s.Perplexity:0.00}", $"{s.NatsPerChar:0.0000}", $"{s.BitsPerChar:0.0000}", $"{s.Ngrams:N0}", $"{s.CountSeconds:0.0} s");
            AnsiConsole.Write(t);
            Console.WriteLine($"cached in {Path.Combine(ds.Directory, BaselineFile.FileName)}");
            return 0;
        });
        return new Command("baseline", "Reference scores to put beside a model: `baseline ngram`.") { ngram };
    }

    /// <summary>"5" → 1…5; "2..4" → 2…4.</summary>
    internal static (int From, int To) Orders(string text)
    {
        var parts = text.Split("..", StringSplitOptions.TrimEntries);
        bool ok = parts.Length switch
        {
            1 => int.TryParse(parts[0], out _),
            2 => int.TryParse(parts[0], out _) && int.TryParse(parts[1], out _),
            _ => false,
        };
        if (!ok) throw new GptLabException($"--order must be N or A..B (e.g. 5 or 1..5), got '{text}'");
        int a = parts.Length == 1 ? 1 : int.Parse(parts[0]), b = int.Parse(parts[^1]);
        if (a < 1 || b < a || b > 10) throw new GptLabException($"--order must name orders between 1 and 10, lowest first, got '{text}'");
        return (a, b);
    }

    /// <summary>Progress reported on the calling thread (Progress&lt;T&gt; posts to the thread pool, out of order).</summary>
    private sealed class SyncProgress(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }
}
