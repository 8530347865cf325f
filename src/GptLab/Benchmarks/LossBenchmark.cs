using System.Diagnostics;
using GptLab.Losses;
using GptLab.Runs;
using GptLab.Training;
using static TorchSharp.torch;

namespace GptLab.Benchmarks;

/// <summary>Peak extra memory and time of one forward+backward of a loss over (N, V) logits.</summary>
internal sealed record LossBench(string Loss, int Tokens, int Vocab, double PeakExtraMb, double LogitsMb, double Ms);

/// <summary>
/// Measures each loss's memory beyond the logits themselves (Linux: the peak-RSS counter is reset through
/// /proc/self/clear_refs before each measurement), next to a naive square loss that builds the one-hot.
/// </summary>
internal static class LossBenchmark
{
    public static IReadOnlyList<LossBench> Run(int tokens, int vocab, IEnumerable<string> losses)
    {
        var results = new List<LossBench>();
        foreach (string name in losses.Append("naive_onehot_mse"))
        {
            random.manual_seed(0);
            using var logits = randn(tokens, vocab).requires_grad_(true);
            using var targets = randint(0, vocab, [tokens]);
            GC.Collect();
            ResetPeak();
            double before = Measure.RssMb();
            var sw = Stopwatch.StartNew();
            using (var scope = NewDisposeScope())
            {
                Tensor loss = name == "naive_onehot_mse"
                    ? nn.functional.mse_loss(logits, nn.functional.one_hot(targets, vocab).to(ScalarType.Float32))
                    : LossFunctions.Compute(logits, targets, new LossOptions { Kind = LossOptions.Parse(name) });
                loss.backward();
            }
            double ms = sw.Elapsed.TotalMilliseconds;
            double peak = Measure.PeakRssMb();
            logits.grad?.Dispose();
            results.Add(new LossBench(name, tokens, vocab, peak - before, tokens * (double)vocab * 4 / 1048576, ms));
        }
        return results;
    }

    private static void ResetPeak()
    {
        try { File.WriteAllText("/proc/self/clear_refs", "5"); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
