using System.Diagnostics;
using static TorchSharp.torch;

namespace GptLab.Training;

/// <summary>The matmul throughput of this machine, measured once per process and dtype: MFU's denominator.</summary>
internal static class PeakFlops
{
    private static readonly Dictionary<(ScalarType, int, string), double> Cache = [];

    /// <summary>Best FLOP/s of an n×n×n matmul over a few repetitions.</summary>
    public static double Measure(ScalarType dtype, Device? device = null, int n = 2048, int reps = 8)
    {
        device ??= CPU;
        var key = (dtype, get_num_threads(), device.ToString());
        lock (Cache)
        {
            if (Cache.TryGetValue(key, out double cached)) return cached;
            if (dtype == ScalarType.Float16) (n, reps) = (512, 2);   // CPUs without fp16 kernels: a 2048³ matmul takes minutes
            using var scope = NewDisposeScope();
            // its own generator: the training RNG (dropout masks) must not move, or a resumed run would diverge
            using var gen = new Generator(0x5eed);
            var a = randn([n, n], generator: gen).to(dtype).to(device);
            var b = randn([n, n], generator: gen).to(dtype).to(device);
            for (int w = 0; w < 3; w++) a.matmul(b).Dispose();   // warm-up: threads spun up, caches and pages touched
            double best = double.MaxValue;
            for (int i = 0; i < reps; i++)
            {
                var sw = Stopwatch.StartNew();
                using var c = a.matmul(b);
                best = Math.Min(best, sw.Elapsed.TotalSeconds);
            }
            double flops = 2.0 * n * n * n / best;
            Cache[key] = flops;
            return flops;
        }
    }
}
