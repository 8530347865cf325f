using System.CommandLine;
using System.Text.Json;
using GptLab.Benchmarks;
using GptLab.IO;

namespace GptLab.Cli.Commands.Bench;

/// <summary><c>gptlab bench bpe</c>: BPE training and encoding speed.</summary>
internal static class BpeBenchCommand
{
    public static Command Create()
    {
        var mb = (new Option<double>("--mb") { Description = "training corpus: Tiny Shakespeare repeated to this size", DefaultValueFactory = _ => 100 }).AtLeast(0.0);
        var vocabs = new Option<string>("--vocab") { Description = "comma-separated vocabulary sizes to train on the repeated text", DefaultValueFactory = _ => "4096,16384" };
        var heldOut = new Option<string?>("--stories") { Description = "a TinyStories-style file (<|endoftext|> lines): train on 90% of stories, report tokens/char on the rest" };
        var storyVocabs = new Option<string>("--stories-vocab") { Description = "vocabulary sizes for --stories", DefaultValueFactory = _ => "4096,8192,16384" };
        var json = new Option<bool>("--json") { Description = "print JSON lines" };
        var cmd = new Command("bpe", "Time BPE training (count + merge) and memory; tokens/char on held-out stories.") { mb, vocabs, heldOut, storyVocabs, json };
        cmd.SetAction(p =>
        {
            void Print(BpeBench r) => Console.WriteLine(p.GetValue(json) ? JsonSerializer.Serialize(r, Json.Line)
                : $"bpe {r.VocabSize:N0} on {r.Megabytes:0.0} MB: count {r.CountSeconds:0.0} s, merges {r.MergeSeconds:0.0} s, peak RSS {r.PeakRssMb:0} MiB"
                  + (r.HeldOutTokensPerChar is double t ? $", held-out {t:0.0000} tokens/char" : ""));
            if (p.GetValue(mb) > 0)
            {
                string file = Path.Combine(Path.GetTempPath(), $"gptlab-bench-{Environment.ProcessId}.txt");
                try
                {
                    DataBenchmarks.WriteRepeatedShakespeare(file, p.GetValue(mb));
                    var corpus = Data.CorpusSource.FromPath(file, null);
                    foreach (int v in BenchArgs.Ints(p.GetValue(vocabs)!))
                        Print(DataBenchmarks.Bpe(corpus.ReadPieces().Select(x => x.Text), new FileInfo(file).Length / 1e6, v));
                }
                finally { File.Delete(file); }
            }
            if (p.GetValue(heldOut) is string stories)
            {
                var docs = Data.CorpusSource.FromPath(stories, null).With(Data.DocumentMode.Separator, "<|endoftext|>", null).ReadPieces().Select(x => x.Text).ToList();
                int cut = docs.Count * 9 / 10;
                string held = string.Join("\n", docs.Skip(cut));
                double trainMb = docs.Take(cut).Sum(d => (double)System.Text.Encoding.UTF8.GetByteCount(d)) / 1e6;
                foreach (int v in BenchArgs.Ints(p.GetValue(storyVocabs)!))
                {
                    try { Print(DataBenchmarks.Bpe(docs.Take(cut), trainMb, v, held)); }
                    catch (GptLabException e) { Console.WriteLine($"bpe {v:N0} on {trainMb:0.0} MB: {e.Message}"); }
                }
            }
            return 0;
        });
        return cmd;
    }
}
