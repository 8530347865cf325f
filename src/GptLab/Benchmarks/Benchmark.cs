using System.Diagnostics;
using GptLab.Data;
using GptLab.Losses;
using GptLab.Model;
using GptLab.Runs;
using GptLab.Training;
using static TorchSharp.torch;

namespace GptLab.Benchmarks;

/// <summary>Figures of one training benchmark: medians over the timed iterations.</summary>
internal sealed record BenchResult
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
    public double SyncMs { get; init; }         // waiting for the gradients' allreduce after backward (under mpirun)
    public double AllreduceMs { get; init; }    // the MPI thread's time in MPI_Allreduce, hidden behind backward or not
    public int WorldSize { get; init; } = 1;    // processes (tokens/s counts all of them)
    public double Mfu { get; init; }
    public double PeakFlops { get; init; }
    public double PeakRssMb { get; init; }
    public double FinalLoss { get; init; }
    public bool MklShim { get; init; }
    public IReadOnlyList<RssPoint>? Rss { get; init; }   // resident memory at chosen iterations (--rss-at)
}

/// <summary>Resident memory after an iteration.</summary>
internal sealed record RssPoint(int Iter, double RssMb);

/// <summary>Generation speed of one window mode.</summary>
internal sealed record GenerationBench(string Preset, int Tokens, int BlockSize, string Window, bool Cache, double TokensPerS,
    double InsideBlockTokensPerS, double PastBlockTokensPerS, double FirstTokenMs);

/// <summary>Times training steps split into data / forward / backward+clip / optimizer, like
/// shared/bench/torch_reference.py, on random tokens or a dataset's windows.</summary>
internal static class Benchmark
{
    public static BenchResult Run(string name, TrainConfig config, int vocab, int iters, int warmup, TokenShard? data = null, IReadOnlyCollection<int>? rssAt = null)
    {
        TorchRuntime.Initialize(config.EffectiveThreads);
        random.manual_seed(config.Seed);
        using var model = new Gpt(config.ToGptConfig(vocab));
        model.Autocast = config.Dtype.Autocast();
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
            var sync = Distributed.MpiSync.Detect();
            sync.Broadcast(model.parameters().Select(p => (Tensor)p).ToList());
            var step = new TrainingStep(model, optimizer, loss, vocab, config.GradClip, sync, config.Dtype == Precision.Float16 ? new LossScaler() : null, config.DdpOverlap);
            var times = new List<StepTimings>();
            double last = 0;
            var rss = new List<RssPoint>();
            for (int it = 0; it < warmup + iters; it++)
            {
                var t = new StepTimings();
                last = step.Run(batches, Math.Max(1, config.GradientAccumulationSteps / sync.Size), config.LearningRate, out _, t);
                if (it >= warmup) times.Add(t);
                if (rssAt != null && rssAt.Contains(it + 1)) { GC.Collect(); rss.Add(new RssPoint(it + 1, Measure.RssMb())); }
            }
            List<double> Of(Func<StepTimings, double> f) => times.Select(f).ToList();
            double ms = Measure.Median(Of(t => t.TotalMs));
            double peak = config.PeakFlops > 0 ? config.PeakFlops : PeakFlops.Measure(config.Dtype.PeakDtype());
            long tokens = (long)config.BatchSize * config.BlockSize * sync.Size;
            return new BenchResult
            {
                Preset = name, Dtype = IO.JsonEnum.Name(config.Dtype), Threads = config.EffectiveThreads, Iters = iters, BatchSize = config.BatchSize,
                BlockSize = config.BlockSize, Parameters = model.NumParams(), MsPerIter = ms, TokensPerS = tokens / (ms / 1000),
                ForwardMs = Measure.Median(Of(t => t.ForwardMs)), BackwardMs = Measure.Median(Of(t => t.BackwardMs)),
                OptimizerMs = Measure.Median(Of(t => t.OptimizerMs)), DataMs = Measure.Median(Of(t => t.DataMs)),
                SyncMs = Measure.Median(Of(t => t.SyncMs)), AllreduceMs = Measure.Median(Of(t => t.AllreduceMs)), WorldSize = sync.Size,
                Mfu = model.FlopsPerIter(tokens) / (ms / 1000) / (peak * sync.Size), PeakFlops = peak, PeakRssMb = Measure.PeakRssMb(), FinalLoss = last,
                MklShim = TorchRuntime.MklShimLoaded, Rss = rssAt is null ? null : rss,
            };
        }
        finally
        {
            owned?.Dispose();
        }
    }

    /// <summary>Generation speed of each window mode: <paramref name="tokens"/> tokens from a one-token prompt, tokens/s
    /// overall, inside block_size and past it, and the first token's latency; slide also without the KV cache.</summary>
    public static IReadOnlyList<GenerationBench> Generation(string name, TrainConfig config, int vocab, int tokens, IReadOnlyList<Sampling.WindowMode> windows)
    {
        TorchRuntime.Initialize(config.EffectiveThreads);
        random.manual_seed(config.Seed);
        using var model = new Gpt(config.ToGptConfig(vocab) with { Dropout = 0 });
        var o = new Sampling.SamplingOptions { MaxNewTokens = tokens, Temperature = 1.0, TopK = 0, Seed = 1, VocabLimit = vocab };
        Sampling.Sampler.Generate(model, [0], 1, o with { MaxNewTokens = 8 });   // warm-up
        var runs = windows.Select(w => (Window: w, Cache: true)).ToList();
        if (windows.Contains(Sampling.WindowMode.Slide)) runs.Add((Sampling.WindowMode.Slide, false));
        var results = new List<GenerationBench>();
        foreach (var (window, cache) in runs)
        {
            var at = new List<double>(tokens);
            var sw = Stopwatch.StartNew();
            Sampling.Sampler.Generate(model, [0], 1, o with { Window = window, UseCache = cache }, _ => at.Add(sw.Elapsed.TotalSeconds));
            int inside = Math.Min(at.Count, config.BlockSize - 1);
            double Rate(int from, int to) => to - from >= 2 ? (to - from - 1) / (at[to - 1] - at[from]) : double.NaN;
            results.Add(new GenerationBench(name, tokens, config.BlockSize, IO.JsonEnum.Name(window), cache, at.Count / at[^1], Rate(0, inside), Rate(inside, at.Count), at[0] * 1000));
        }
        return results;
    }

}
