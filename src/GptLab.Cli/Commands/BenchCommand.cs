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
        var dtype = new Option<string>("--dtype") { Description = "float32 | bfloat16", DefaultValueFactory = _ => "float32" };
        dtype.AcceptOnlyFromAmong("float32", "bfloat16");
        var iters = new Option<int>("--iters") { Description = "timed iterations", DefaultValueFactory = _ => 30 };
        var warmup = new Option<int>("--warmup") { Description = "untimed iterations first", DefaultValueFactory = _ => 5 };
        var threads = new Option<int?>("--threads") { Description = "intra-op threads (default: all cores)" };
        var vocab = new Option<int>("--vocab") { Description = "vocabulary size of the random tokens", DefaultValueFactory = _ => 65 };
        var sets = new Option<string[]>("--set") { Description = "override any config key" };
        var json = new Option<bool>("--json") { Description = "print one JSON object" };
        var generate = new Option<int?>("--generate") { Description = "instead: time generating N tokens with and without the KV cache" };
        var cmd = new Command("bench", "Time training steps (tokens/s, ms/iter split, MFU, peak RSS).") { preset, dtype, iters, warmup, threads, vocab, sets, json, generate };
        cmd.SetAction(p =>
        {
            string name = p.GetValue(preset)!;
            var extra = new List<string>(p.GetValue(sets) ?? []) { $"dtype={p.GetValue(dtype)}" };
            if (p.GetValue(threads) is int t) extra.Add($"threads={t}");
            var config = ConfigResolver.Resolve([ConfigResolver.LoadPreset(Alias(name))], [.. AliasSets(name), .. extra]);
            if (p.GetValue(generate) is int n)
            {
                var g = Benchmark.Generation(name, config, p.GetValue(vocab), n);
                if (p.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(g, Json.Line));
                else AnsiConsole.MarkupLineInterpolated(
                    $"{name}: {n} new tokens — KV cache {g.CachedTokensPerS:N0} tok/s, no cache {g.UncachedTokensPerS:N0} tok/s ({g.CachedTokensPerS / g.UncachedTokensPerS:0.0}×), same tokens: {g.SameTokens}");
                return 0;
            }
            var r = Benchmark.Run(name, config, p.GetValue(vocab), p.GetValue(iters), p.GetValue(warmup));
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
            table.AddRow("MFU", $"{r.Mfu * 100:0.0}% of {r.PeakFlops / 1e9:0} GFLOP/s (measured {r.Dtype} matmul)");
            table.AddRow("peak RSS", $"{r.PeakRssMb:0} MiB");
            table.AddRow("MKL shim", r.MklShim ? "loaded" : TorchRuntime.MklShimNote ?? "no");
            AnsiConsole.Write(table);
            return 0;
        });
        return cmd;
    }

    private static string Alias(string name) => name switch { "a" => "shakespeare-char-cpu", "b" => "shakespeare-char", _ => name };

    /// <summary>b is nanoGPT's shakespeare_char model at the reference's batch 12 and no dropout.</summary>
    private static string[] AliasSets(string name) => name == "b" ? ["batch_size=12", "dropout=0"] : [];
}
