using System.CommandLine;
using System.Text.Json;
using GptLab.Benchmarks;
using GptLab.IO;

namespace GptLab.Cli.Commands.Bench;

/// <summary><c>gptlab bench prepare</c>: the data path's speed.</summary>
internal static class PrepareBenchCommand
{
    public static Command Create()
    {
        var mb = (new Option<double>("--mb") { Description = "size of the corpus: Tiny Shakespeare repeated", DefaultValueFactory = _ => 50 }).AtLeast(0.0);
        var tokenizers = new Option<string>("--tokenizers") { Description = "comma-separated", DefaultValueFactory = _ => "char,gpt2" };
        var json = new Option<bool>("--json") { Description = "print JSON lines" };
        var cmd = new Command("prepare", "Time `gptlab prepare` (MB/s) per tokenizer on the bundled text repeated to --mb.") { mb, tokenizers, json };
        cmd.SetAction(p =>
        {
            string file = Path.Combine(Path.GetTempPath(), $"gptlab-bench-{Environment.ProcessId}.txt");
            try
            {
                DataBenchmarks.WriteRepeatedShakespeare(file, p.GetValue(mb));
                foreach (var tok in p.GetValue(tokenizers)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                {
                    var r = DataBenchmarks.Prepare(file, tok);
                    Console.WriteLine(p.GetValue(json) ? JsonSerializer.Serialize(r, Json.Line)
                        : $"prepare {r.Tokenizer}: {r.Megabytes:0.0} MB in {r.Seconds:0.0} s = {r.MegabytesPerS:0.0} MB/s, {r.Tokens:N0} tokens, peak RSS {r.PeakRssMb:0} MiB");
                }
            }
            finally { File.Delete(file); }
            return 0;
        });
        return cmd;
    }
}
