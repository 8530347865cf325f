using System.Text.Json.Nodes;
using GptLab.Sweeps;

namespace GptLab.Benchmarks;

/// <summary>One arm of the sampler benchmark on one seed: the best metric after each budget of trials, and the CPU time.</summary>
public sealed record SamplerRun(string Arm, int Seed, IReadOnlyList<double> BestAfter, double CpuMinutes, int Pruned);

/// <summary>
/// `gptlab bench samplers`: one search space (learning rate log-uniform, layers, width, dropout), the same budget of
/// trials for random search, TPE and TPE with ASHA pruning, on several seeds; each arm's best val NLL after each budget
/// (in the order the trials were created) and the CPU-minutes it spent (trial wall time × threads, pruned trials
/// included). Trials train one at a time, in this process, on all the threads given.
/// </summary>
public static class SamplerBenchmark
{
    public static readonly string[] Arms = ["random", "tpe", "tpe+asha"];

    public static IReadOnlyList<SamplerRun> Run(string workDir, string dataset, int trials, int iters, IReadOnlyList<int> seeds, IReadOnlyList<int> budgets, int threads, Action<string>? log = null)
    {
        var results = new List<SamplerRun>();
        foreach (int seed in seeds)
            foreach (var arm in Arms)
            {
                var at = new StudyLocation(Path.Combine(workDir, $"{arm.Replace('+', '-')}-{seed}"));
                using (Study.Create(at, Spec(arm, dataset, trials, iters, seed))) { }
                new SweepWorker(at, "bench", threads).Run();
                using var study = Study.Open(at);
                var all = study.Trials().OrderBy(t => t.Id).ToList();
                var best = budgets.Select(b => all.Take(b).Where(t => t.Status == "done" && t.Metric is double m && double.IsFinite(m)).Select(t => t.Metric!.Value).DefaultIfEmpty(double.NaN).Min()).ToList();
                var r = new SamplerRun(arm, seed, best, all.Sum(t => t.WallS ?? 0) * threads / 60, all.Count(t => t.Status == "pruned"));
                log?.Invoke($"{arm}, seed {seed}: best {string.Join(" / ", best.Select(v => v.ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture)))} after {string.Join(" / ", budgets)} trials; {r.CpuMinutes:0.0} CPU-minutes; {r.Pruned} pruned");
                results.Add(r);
            }
        return results;
    }

    /// <summary>The arm's spec: rungs for ASHA at iters/9, iters/3 and iters (η = 3), evaluated that often in every arm.</summary>
    public static SweepSpec Spec(string arm, string dataset, int trials, int iters, int seed)
    {
        int rung = Math.Max(1, iters / 9);
        var spec = new JsonObject
        {
            ["data"] = dataset, ["method"] = arm == "random" ? "random" : "tpe", ["max_trials"] = trials, ["seed"] = seed, ["metric"] = "val_nll",
            ["n_startup_trials"] = 10, ["max_iters"] = iters,
            ["fixed"] = new JsonObject
            {
                ["block_size"] = 64, ["batch_size"] = 12, ["eval_interval"] = rung, ["eval_iters"] = 5, ["warmup_iters"] = Math.Max(1, iters / 20),
                ["sample_tokens"] = 0, ["always_save_checkpoint"] = false, ["log_interval"] = 10,
            },
            ["parameters"] = new JsonObject
            {
                ["learning_rate"] = new JsonObject { ["log_uniform"] = new JsonArray(1e-4, 3e-2) },
                ["n_layer"] = new JsonObject { ["int"] = new JsonArray(1, 4) },
                ["n_embd"] = new JsonArray(32, 64, 128),
                ["dropout"] = new JsonObject { ["uniform"] = new JsonArray(0.0, 0.3) },
            },
            ["constraints"] = new JsonArray("n_head = n_embd / 32"),
        };
        if (arm == "tpe+asha") spec["pruner"] = new JsonObject { ["type"] = "asha", ["min_iters"] = rung, ["reduction_factor"] = 3 };
        return SweepSpec.Parse(spec);
    }
}
