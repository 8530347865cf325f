using System.Text.Json.Nodes;
using GptLab.Sweeps;

namespace GptLab.Tests.Sweeps;

/// <summary>The Tree-structured Parzen Estimator checked against its definition (Bergstra et al. 2011; Optuna's defaults).</summary>
public class TpeSamplerTests
{
    private static SearchDistribution Uniform(double lo, double hi) => new("uniform", lo, hi, null);

    [Fact]
    public void The_good_share_is_optunas_gamma_a_tenth_rounded_up_and_at_most_25()
    {
        Assert.Equal([1, 1, 2, 5, 25, 25], new[] { 1, 10, 11, 50, 250, 1000 }.Select(TpeSampler.GoodCount));
    }

    [Fact]
    public void A_parzen_estimator_is_one_truncated_gaussian_per_point_plus_a_prior_over_the_range()
    {
        var p = TpeSampler.Parzen.Fit([0.2, 0.3], 0, 1);
        // components sorted: 0.2, 0.3, prior 0.5; weights equal (1 each, prior weight 1); σ = the larger gap to a
        // neighbour (0.1, 0.2) clipped up to width / (1 + 3 components) = 0.25; the prior's σ is the range's width
        Assert.Equal([0.2, 0.3, 0.5], p.Mus);
        Assert.Equal([1 / 3.0, 1 / 3.0, 1 / 3.0], p.Weights);
        Assert.Equal([0.25, 0.25, 1.0], p.Sigmas.Select(x => Math.Round(x, 12)));
        // with ten components the clip is 1/11: a point 0.4 from its farther neighbour keeps σ 0.4, its first one its one gap
        var wide = TpeSampler.Parzen.Fit([0.05, 0.1, 0.7, 0.72, 0.74, 0.76, 0.78, 0.8, 0.82], 0, 1);
        Assert.Equal(0.1 / 1.1, wide.Sigmas[0], 12);   // gap 0.05, clipped up to 1/11
        Assert.Equal(0.4, wide.Sigmas[1], 12);         // max(0.05, 0.5 − 0.1)
        // a density on [0, 1]: it integrates to 1 (trapezoids), and the mass of the whole range is 1
        double integral = 0;
        for (int i = 0; i < 2000; i++) integral += (Math.Exp(p.LogPdf(i / 2000.0)) + Math.Exp(p.LogPdf((i + 1) / 2000.0))) / 2 / 2000;
        Assert.Equal(1.0, integral, 3);
        Assert.Equal(0.0, p.LogMass(0, 1), 6);
        // "magic clip": with many close points σ is at least width / min(100, 1 + n)
        var tight = TpeSampler.Parzen.Fit([0.5, 0.5001, 0.5002], 0, 1);
        Assert.All(tight.Sigmas, s => Assert.True(s >= 1 / 5.0 - 1e-12, $"{s}"));
    }

    [Fact]
    public void Candidates_are_drawn_from_l_and_the_largest_l_over_g_wins()
    {
        // good values near 0.2, bad near 0.8: what TPE proposes sits near 0.2
        var rng = new Random(1);
        var picks = Enumerable.Range(0, 200).Select(_ => TpeSampler.SampleParameter(Uniform(0, 1), [0.18, 0.2, 0.22], [0.75, 0.8, 0.85, 0.9, 0.7, 0.78], 24, rng)!.GetValue<double>()).ToList();
        Assert.True(picks.Average() < 0.35, $"mean {picks.Average():0.000}");
        Assert.All(picks, x => Assert.InRange(x, 0, 1));
        // and it maximises log l − log g among its candidates: no pick has a lower ratio than the median draw from l
        var l = TpeSampler.Parzen.Fit([0.18, 0.2, 0.22], 0, 1);
        var g = TpeSampler.Parzen.Fit([0.75, 0.8, 0.85, 0.9, 0.7, 0.78], 0, 1);
        var draws = Enumerable.Range(0, 500).Select(_ => l.Sample(rng)).Select(x => l.LogPdf(x) - g.LogPdf(x)).Order().ToList();
        Assert.True(picks.Select(x => l.LogPdf(x) - g.LogPdf(x)).Min() >= draws[draws.Count / 2]);
    }

    [Fact]
    public void A_log_uniform_parameter_is_modelled_on_the_log_scale_and_an_int_on_whole_numbers()
    {
        var lr = new SearchDistribution("log_uniform", 1e-5, 1e-1, null);
        var rng = new Random(2);
        var good = new[] { 1e-4, 1.2e-4, 0.9e-4 }.Select(x => Math.Log(x)).ToList();
        var bad = new[] { 1e-2, 2e-2, 5e-2, 3e-2, 0.08 }.Select(x => Math.Log(x)).ToList();
        var picks = Enumerable.Range(0, 100).Select(_ => TpeSampler.SampleParameter(lr, good, bad, 24, rng)!.GetValue<double>()).Order().ToList();
        Assert.True(picks[50] < 1e-3, $"median {picks[50]:g3}");
        Assert.All(picks, x => Assert.InRange(x, 1e-5, 1e-1));
        var layers = new SearchDistribution("int", 1, 8, null);
        var ints = Enumerable.Range(0, 100).Select(_ => TpeSampler.SampleParameter(layers, [2, 2, 3], [7, 8, 6, 8], 24, rng)!.GetValue<long>()).ToList();
        Assert.All(ints, n => Assert.InRange(n, 1, 8));
        Assert.True(ints.Average() < 4, $"mean {ints.Average():0.00}");
    }

    [Fact]
    public void A_categorical_parameter_weighs_its_counts_plus_a_uniform_prior()
    {
        var w = TpeSampler.CategoricalWeights(3, [0, 0]);   // counts (2, 0, 0) + 1/3 each, over 3
        Assert.Equal((2 + 1 / 3.0) / 3, w[0], 12);
        Assert.Equal(1 / 9.0, w[1], 12);
        var choice = new SearchDistribution("choice", 0, 0, new JsonArray("adamw", "muon", "sgd"));
        var rng = new Random(3);
        var picks = Enumerable.Range(0, 100).Select(_ => TpeSampler.SampleParameter(choice, [1, 1], [0, 0, 2, 2, 0, 2], 24, rng)!.GetValue<string>()).ToList();
        Assert.True(picks.Count(p => p == "muon") >= 90, string.Join(",", picks.GroupBy(p => p).Select(g => $"{g.Key}:{g.Count()}")));
    }

    [Fact]
    public void On_a_known_function_TPE_finds_a_better_minimum_than_random_search_with_the_same_trials()
    {
        // f(x, y) = (log10 x + 3)² + (y − 0.3)², x log-uniform in [1e-5, 1e-1], y uniform in [0, 1]: minimum 0 at (1e-3, 0.3)
        var space = new Dictionary<string, SearchDistribution> { ["x"] = new("log_uniform", 1e-5, 1e-1, null), ["y"] = Uniform(0, 1) };
        static double F(IReadOnlyDictionary<string, JsonNode?> p) => Math.Pow(Math.Log10(p["x"]!.GetValue<double>()) + 3, 2) + Math.Pow(p["y"]!.GetValue<double>() - 0.3, 2);
        double Best(int startup, int seed)
        {
            var rng = new Random(seed);
            var obs = new List<TpeSampler.Observation>();
            for (int i = 0; i < 60; i++)
            {
                var p = TpeSampler.Suggest(space, obs, startup, 24, rng);
                obs.Add(new TpeSampler.Observation(p, F(p), false));
            }
            return obs.Min(o => o.Value);
        }
        // random search is TPE that never leaves its start-up phase
        var tpe = Enumerable.Range(0, 5).Select(s => Best(10, s)).ToList();
        var random = Enumerable.Range(0, 5).Select(s => Best(int.MaxValue, s)).ToList();
        Assert.True(tpe.Average() < random.Average() / 2, $"TPE {tpe.Average():0.0000} vs random {random.Average():0.0000}");
    }

    [Fact]
    public void Before_n_startup_trials_have_finished_it_samples_at_random()
    {
        var space = new Dictionary<string, SearchDistribution> { ["y"] = Uniform(0, 1) };
        var a = TpeSampler.Suggest(space, [], 5, 24, new Random(9));
        var b = space["y"].Sample(new Random(9));
        Assert.Equal(b!.GetValue<double>(), a["y"]!.GetValue<double>());
    }
}
