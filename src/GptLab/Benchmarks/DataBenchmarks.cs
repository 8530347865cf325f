using System.Diagnostics;
using GptLab.Data;
using GptLab.Runs;
using GptLab.Tokenizers;
using GptLab.Training;

namespace GptLab.Benchmarks;

/// <summary>Throughput of `gptlab prepare` for one tokenizer.</summary>
internal sealed record PrepareBench(string Tokenizer, double Megabytes, double Seconds, double MegabytesPerS, long Tokens, double PeakRssMb);

/// <summary>Time and memory of training one BPE vocabulary, and tokens per character on held-out text.</summary>
internal sealed record BpeBench(int VocabSize, double Megabytes, double CountSeconds, double MergeSeconds, double PeakRssMb, double? HeldOutTokensPerChar);

/// <summary>Benchmarks of the data path (prepare, BPE training) on the bundled text repeated to a size.</summary>
internal static class DataBenchmarks
{
    /// <summary>Writes Tiny Shakespeare repeated to about <paramref name="megabytes"/> MB into <paramref name="path"/>.</summary>
    public static void WriteRepeatedShakespeare(string path, double megabytes)
    {
        string text = new StreamReader(CorpusSource.OpenShakespeare()).ReadToEnd();
        using var w = new StreamWriter(path);
        long target = (long)(megabytes * 1e6), written = 0;
        while (written < target) { w.Write(text); written += text.Length; }
    }

    public static PrepareBench Prepare(string file, string tokenizer, int vocab = 4096)
    {
        string outDir = Path.Combine(Path.GetTempPath(), $"gptlab-bench-prep-{Guid.NewGuid():N}");
        try
        {
            var sw = Stopwatch.StartNew();
            var meta = DatasetPreparer.Prepare(new PrepareOptions { Source = CorpusSource.FromPath(file, null), OutDir = outDir, Tokenizer = tokenizer, VocabSize = vocab });
            double s = sw.Elapsed.TotalSeconds;
            double mb = new FileInfo(file).Length / 1e6;
            return new PrepareBench(tokenizer, mb, s, mb / s, meta.Train.Tokens + meta.Val.Tokens, Measure.PeakRssMb());
        }
        finally
        {
            if (Directory.Exists(outDir)) Directory.Delete(outDir, true);
        }
    }

    /// <summary>Trains a vocabulary on <paramref name="trainText"/>; with <paramref name="heldOut"/>, also tokens/char on it.</summary>
    public static BpeBench Bpe(IEnumerable<string> trainText, double megabytes, int vocab, string? heldOut = null)
    {
        string[] specials = ["<|endoftext|>"];
        var sw = Stopwatch.StartNew();
        var words = BpeTrainer.CountWords(trainText, specials);
        double count = sw.Elapsed.TotalSeconds;
        sw.Restart();
        var model = BpeTrainer.Train(words, vocab, specials);
        double merge = sw.Elapsed.TotalSeconds;
        double? rate = null;
        if (heldOut != null) rate = (double)new BpeTokenizer(model).Encode(heldOut).Length / DatasetPreparer.CountCodePoints(heldOut);
        return new BpeBench(vocab, megabytes, count, merge, Measure.PeakRssMb(), rate);
    }
}
