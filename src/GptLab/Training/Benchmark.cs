using System.Diagnostics;
using GptLab.Data;
using GptLab.Losses;
using GptLab.Model;
using static TorchSharp.torch;

namespace GptLab.Training;

/// <summary>Figures of one training benchmark: medians over the timed iterations.</summary>
public sealed record BenchResult
{
    public string Preset { get; init; } = "";
    public string Dtype { get; init; } = "";
    public int Threads { get; init; }
    public int Iters { get; init; }
    public int BatchSize { get; init; }
    public int BlockSize { get; init; }
    public long Parameters { get; init; }
    public double MsPerIter { get; init; }
    public double TokensPerS { get; init; }
    public double ForwardMs { get; init; }
    public double BackwardMs { get; init; }     // backward + gradient clipping, as the reference measures it
    public double OptimizerMs { get; init; }
    public double DataMs { get; init; }         // assembling the batch
    public double Mfu { get; init; }
    public double PeakFlops { get; init; }
    public double PeakRssMb { get; init; }
    public double FinalLoss { get; init; }
    public bool MklShim { get; init; }
    public IReadOnlyList<RssPoint>? Rss { get; init; }   // resident memory at chosen iterations (--rss-at)
}

/// <summary>Resident memory after an iteration.</summary>
public sealed record RssPoint(int Iter, double RssMb);

/// <summary>Generation speed with and without the KV cache.</summary>
public sealed record GenerationBench(string Preset, int Tokens, int BlockSize, double CachedTokensPerS, double UncachedTokensPerS, bool SameTokens);

/// <summary>Times training steps split into data / forward / backward+clip / optimizer, like
/// shared/bench/torch_reference.py, on random tokens or a dataset's windows.</summary>
public static class Benchmark
{
    public static BenchResult Run(string name, TrainConfig config, int vocab, int iters, int warmup, TokenShard? data = null, IReadOnlyCollection<int>? rssAt = null)
    {
        TorchRuntime.Initialize(config.EffectiveThreads);
        random.manual_seed(config.Seed);
        using var model = new Gpt(config.ToGptConfig(vocab));
        if (config.Dtype == "bfloat16") model.Autocast = ScalarType.BFloat16;
        model.train();
        using var optimizer = new Optimizer(model, config);
        var loss = config.LossOptions;
        TokenShard? owned = null;
        if (data == null)
        {
            // random tokens, as the reference does without --data
            string tmp = Path.Combine(Path.GetTempPath(), $"gptlab-bench-{Environment.ProcessId}.bin");
            using (var w = new TokenShardWriter(tmp, vocab))
            {
                var rng = new Random(0);
                var buf = new int[1_000_000];
                for (int i = 0; i < buf.Length; i++) buf[i] = rng.Next(vocab);
                w.Write(buf);
                w.Complete();
            }
            owned = data = TokenShard.Open(tmp);
            File.Delete(tmp);   // stays mapped until disposed
        }
        try
        {
            var batches = new BatchSource(data, config.BatchSize, config.BlockSize, false, 1);
            var fwd = new List<double>(); var bwd = new List<double>(); var opt = new List<double>(); var tot = new List<double>(); var dat = new List<double>();
            double last = 0;
            var rss = new List<RssPoint>();
            var sw = new Stopwatch();
            for (int it = 0; it < warmup + iters; it++)
            {
                using var scope = NewDisposeScope();
                sw.Restart();
                var (x, y) = batches.Next();
                double t0 = sw.Elapsed.TotalMilliseconds;
                var logits = model.forward(x);
                if (loss.Kind != LossKind.CrossEntropy) logits = LossFunctions.RealVocab(logits, vocab);
                var l = LossFunctions.Compute(logits, y, loss);
                double t1 = sw.Elapsed.TotalMilliseconds;
                l.backward();
                optimizer.ClipGradNorm(config.GradClip);
                double t2 = sw.Elapsed.TotalMilliseconds;
                optimizer.Apply(config.LearningRate);
                optimizer.ZeroGrad();
                double t3 = sw.Elapsed.TotalMilliseconds;
                if (it >= warmup)
                {
                    dat.Add(t0); fwd.Add(t1 - t0); bwd.Add(t2 - t1); opt.Add(t3 - t2); tot.Add(t3);
                }
                if (it == warmup + iters - 1) last = l.item<float>();
                if (rssAt != null && rssAt.Contains(it + 1)) { GC.Collect(); rss.Add(new RssPoint(it + 1, RssMb())); }
            }
            double ms = Median(tot);
            double peak = config.PeakFlops > 0 ? config.PeakFlops : PeakFlops.Measure(config.Dtype == "bfloat16" ? ScalarType.BFloat16 : ScalarType.Float32);
            long tokens = (long)config.BatchSize * config.BlockSize;
            return new BenchResult
            {
                Preset = name, Dtype = config.Dtype, Threads = config.EffectiveThreads, Iters = iters, BatchSize = config.BatchSize,
                BlockSize = config.BlockSize, Parameters = model.NumParams(), MsPerIter = ms, TokensPerS = tokens / (ms / 1000),
                ForwardMs = Median(fwd), BackwardMs = Median(bwd), OptimizerMs = Median(opt), DataMs = Median(dat),
                Mfu = model.FlopsPerIter(tokens) / (ms / 1000) / peak, PeakFlops = peak, PeakRssMb = PeakRssMb(), FinalLoss = last,
                MklShim = TorchRuntime.MklShimLoaded, Rss = rssAt is null ? null : rss,
            };
        }
        finally
        {
            owned?.Dispose();
        }
    }

    /// <summary>Tokens/s generating <paramref name="tokens"/> tokens from a one-token prompt, with and without the KV cache.</summary>
    public static GenerationBench Generation(string name, TrainConfig config, int vocab, int tokens)
    {
        TorchRuntime.Initialize(config.EffectiveThreads);
        random.manual_seed(config.Seed);
        using var model = new Gpt(config.ToGptConfig(vocab) with { Dropout = 0 });
        var o = new Sampling.SamplingOptions { MaxNewTokens = tokens, Temperature = 1.0, TopK = 0, Seed = 1, VocabLimit = vocab };
        Sampling.Sampler.Generate(model, [0], 1, o with { MaxNewTokens = 8 });   // warm-up
        var sw = Stopwatch.StartNew();
        var cached = Sampling.Sampler.Generate(model, [0], 1, o);
        double cachedS = sw.Elapsed.TotalSeconds;
        sw.Restart();
        var plain = Sampling.Sampler.Generate(model, [0], 1, o with { UseCache = false });
        double plainS = sw.Elapsed.TotalSeconds;
        return new GenerationBench(name, tokens, config.BlockSize, tokens / cachedS, tokens / plainS, cached[0].SequenceEqual(plain[0]));
    }

    public static double Median(List<double> xs)
    {
        var s = xs.Order().ToArray();
        return s.Length == 0 ? 0 : s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    /// <summary>Peak resident memory of this process (VmHWM), MiB.</summary>
    public static double PeakRssMb() => ReadStatusKb("VmHWM:") / 1024.0;

    /// <summary>Current resident memory of this process (VmRSS), MiB.</summary>
    public static double RssMb() => ReadStatusKb("VmRSS:") / 1024.0;

    private static long ReadStatusKb(string key)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith(key)) return long.Parse(line[key.Length..].Trim().Split(' ')[0]);
        }
        catch (IOException) { }
        return 0;
    }
}
