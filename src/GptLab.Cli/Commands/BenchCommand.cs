using System.CommandLine;
using System.Text.Json;
using GptLab.Benchmarks;
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
            preset, dtype, iters, warmup, threads, vocab, sets, json, generate, window, rssAt, Bench.PrepareBenchCommand.Create(), Bench.BpeBenchCommand.Create(), Bench.LossBenchCommand.Create(), Bench.ClaimBenchCommand.Create(), Bench.LeaseBenchCommand.Create(), Bench.SamplersBenchCommand.Create(), Bench.SpeedrunBenchCommand.Create(),
        };
        cmd.SetAction(p =>
        {
            string name = p.GetValue(preset)!;
            var extra = new List<string>(p.GetValue(sets) ?? []) { $"dtype={p.GetValue(dtype)}" };
            if (p.GetValue(threads) is int t) extra.Add($"threads={t}");
            var config = ConfigResolver.Resolve([ConfigResolver.LoadPreset(Bench.BenchArgs.Alias(name))], [.. Bench.BenchArgs.AliasSets(name), .. extra]);
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
            var rss = p.GetValue(rssAt) is string at ? Bench.BenchArgs.Ints(at).ToHashSet() : null;
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
            if (r.WorldSize > 1) table.AddRow("  allreduce", $"{r.SyncMs:0.00} waited after backward ({r.WorldSize} ranks, {r.SyncMs / r.MsPerIter:P0} of the step); {r.AllreduceMs:0.00} in MPI_Allreduce");
            table.AddRow("MFU", $"{r.Mfu * 100:0.0}% of {r.PeakFlops / 1e9:0} GFLOP/s (measured {r.Dtype} matmul)");
            table.AddRow("peak RSS", $"{r.PeakRssMb:0} MiB");
            table.AddRow("MKL shim", r.MklShim ? "loaded" : TorchRuntime.MklShimNote ?? "no");
            if (r.Rss is { Count: > 0 } points) table.AddRow("RSS", string.Join(", ", points.Select(x => $"{x.RssMb:0} MiB at iter {x.Iter:N0}")));
            AnsiConsole.Write(table);
            return 0;
        });
        return cmd;
    }
}
