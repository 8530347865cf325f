using System.Text.Json.Nodes;
using GptLab.Sweeps;

namespace GptLab.Tests.Sweeps;

public class SweepSpecTests
{
    internal static SweepSpec Spec(string json) => SweepSpec.Parse(JsonNode.Parse(json)!.AsObject());

    [Fact]
    public void Grid_is_the_product_of_the_lists()
    {
        var s = Spec("""{ "method": "grid", "parameters": { "learning_rate": [6e-6, 6e-4, 6e-2], "dropout": [0.0, 0.1, 0.2], "n_layer": [8, 12, 16] } }""");
        var trials = s.Expand();
        Assert.Equal(27, trials.Count);
        Assert.Equal(27, trials.Select(t => t.ToJson()).Distinct().Count());
    }

    [Fact]
    public void Constraints_filter_and_assignments_derive()
    {
        var s = Spec("""{ "parameters": { "n_embd": [64, 96, 128], "n_head": [2, 3, 4] }, "constraints": ["n_embd % n_head == 0", "n_embd / n_head >= 32"] }""");
        var pairs = s.Expand().Select(t => (t.Values["n_embd"]!.GetValue<int>(), t.Values["n_head"]!.GetValue<int>())).ToHashSet();
        Assert.Equal([(64, 2), (96, 2), (96, 3), (128, 2), (128, 4)], pairs.Order().ToArray());
        var d = Spec("""{ "parameters": { "n_embd": [64, 128] }, "constraints": ["n_head = n_embd / 32"] }""");
        Assert.Equal([2L, 4L], d.Expand().Select(t => t.Values["n_head"]!.GetValue<long>()).ToArray());
    }

    [Fact]
    public void Random_sampling_is_reproducible_by_seed()
    {
        string json(int seed) => $$"""{ "method": "random", "max_trials": 8, "seed": {{seed}}, "parameters": { "learning_rate": { "log_uniform": [1e-4, 1e-2] }, "dropout": { "uniform": [0, 0.3] }, "n_layer": { "int": [1, 6] }, "pos_embedding": { "choice": ["learned", "rope"] } } }""";
        var a = Spec(json(1)).Expand().Select(t => t.ToJson()).ToList();
        Assert.Equal(8, a.Count);
        Assert.Equal(a, Spec(json(1)).Expand().Select(t => t.ToJson()));
        Assert.NotEqual(a, Spec(json(2)).Expand().Select(t => t.ToJson()));
        Assert.All(Spec(json(1)).Expand(), t =>
        {
            double lr = t.Values["learning_rate"]!.GetValue<double>();
            Assert.InRange(lr, 1e-4, 1e-2);
            Assert.InRange(t.Values["n_layer"]!.GetValue<long>(), 1, 6);
        });
    }

    [Fact]
    public void Halving_phases_from_a_reduction_factor()
    {
        var s = Spec("""{ "method": "halving", "reduction_factor": 3, "min_iters": 100, "max_iters": 900, "parameters": { "dropout": [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8] } }""");
        Assert.Equal([100, 300, 900], s.Phases.Select(p => p.MaxIters).ToArray());
        Assert.Equal(3, s.Keep(1, 9));
        Assert.Equal(1, s.Keep(2, 3));
        Assert.Equal(900, s.TrialConfig(s.Expand()[0], 0).LrDecayIters);   // one schedule over the whole budget
    }

    [Theory]
    [InlineData("""{ "parameters": { "learning_rate": [1e-3] }, "bogus": 1 }""", "unknown key 'bogus'")]
    [InlineData("""{ "parameters": { "learning_rate": [] } }""", "empty list")]
    [InlineData("""{ "parameters": { "learning_rat": [1e-3] } }""", "not a config key")]
    [InlineData("""{ "parameters": { "n_embd": [63] }, "constraints": ["n_embd % 2 == 0"] }""", "rule out every configuration")]
    [InlineData("""{ "method": "random", "parameters": { "dropout": { "uniform": [0, 1] } } }""", "max_trials")]
    [InlineData("""{ "parameters": { "dropout": { "gauss": [0, 1] } } }""", "unknown distribution")]
    [InlineData("""{ "parameters": { "dropout": { "uniform": [0, 1] } } }""", "grid needs lists")]
    [InlineData("""{ "parameters": { "n_layer": [1] }, "constraints": ["n_layer >"] }""", "constraint")]
    public void Bad_specs_fail_with_one_clear_line(string json, string expected)
    {
        var e = Assert.Throws<GptLabException>(() => Spec(json));
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Yaml_specs_read_like_json()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["s.yaml"], "preset: shakespeare-char-cpu\nmethod: grid\nfixed:\n  max_iters: 50\nparameters:\n  learning_rate: [0.001, 0.01]\n  dropout: [0.0, 0.1]\n");
        var s = SweepSpec.Load(dir["s.yaml"]);
        Assert.Equal(4, s.Expand().Count);
        Assert.Equal(50, s.Phases[0].MaxIters);
    }

    [Fact]
    public void Constraint_expressions_follow_precedence()
    {
        var v = new Dictionary<string, double> { ["n_layer"] = 7, ["n_head"] = 2 };
        double Eval(string e) => Constraint.Parse(e, ["n_layer", "n_head", "n_embd"]).Evaluate(v);
        Assert.Equal(1, Eval("n_layer % n_head == 1 && n_layer / n_head > 3"));
        Assert.Equal(11, Eval("n_layer + n_head * 2"));
        Assert.Equal(-5, Eval("-(n_layer - n_head)"));
        Assert.Equal(1, Eval("n_layer >= 7 || n_head > 5"));
        Assert.Equal(0, Eval("n_embd"));   // a key the trial does not set reads as 0
        Assert.Equal("n_embd", Constraint.Parse("n_embd = n_head * 64", ["n_head", "n_embd"]).Assigns);
    }
    [Fact]
    public void Tpe_needs_max_trials_and_reads_its_settings_and_pruner()
    {
        var e = Assert.Throws<GptLabException>(() => Spec("""{ "method": "tpe", "parameters": { "learning_rate": { "log_uniform": [1e-4, 1e-2] } } }"""));
        Assert.Contains("method tpe needs max_trials", e.Message);
        var s = Spec("""{ "method": "tpe", "max_trials": 30, "n_startup_trials": 4, "n_ei_candidates": 12, "pruner": { "type": "asha", "min_iters": 50 }, "parameters": { "learning_rate": { "log_uniform": [1e-4, 1e-2] } } }""");
        Assert.Equal(SweepMethod.Tpe, s.Method);
        Assert.Equal((4, 12), (s.NStartupTrials, s.NEiCandidates));
        Assert.Equal(new PrunerSpec(PrunerKind.Asha, 5, 0, 50, 3), s.Pruner);
        Assert.Equal([50, 150, 450], s.Pruner.Rungs(500));
        Assert.Equal(PrunerKind.None, Spec("""{ "parameters": { "learning_rate": [1e-3] } }""").Pruner.Kind);
        var bad = Assert.Throws<GptLabException>(() => Spec("""{ "pruner": { "type": "asha", "reduction_factor": 1 }, "parameters": { "learning_rate": [1e-3] } }"""));
        Assert.Contains("reduction_factor > 1", bad.Message);
    }

    [Fact]
    public void Tpe_draws_the_same_next_configuration_from_the_same_trials_on_any_machine()
    {
        var s = Spec("""{ "method": "tpe", "max_trials": 30, "n_startup_trials": 2, "seed": 5, "parameters": { "learning_rate": { "log_uniform": [1e-4, 1e-2] }, "n_layer": { "int": [1, 6] } } }""");
        var trials = new List<Trial>();
        for (int i = 0; i < 6; i++)
        {
            var p = s.Next(trials);
            Assert.Equal(p.ToJson(), s.Next(trials).ToJson());                   // deterministic given the trials
            Assert.DoesNotContain(trials, t => t.Params.ToJson() == p.ToJson());  // never a configuration already tried
            trials.Add(new Trial { Id = i + 1, ConfigId = i, Params = p, Status = "done", Metric = 4 - i * 0.1, WallS = 1 });
        }
    }
    [Fact]
    public void With_constant_liar_tpe_steers_away_from_the_trials_still_running()
    {
        string Json(bool liar, int seed) => $$"""{ "method": "tpe", "max_trials": 99, "n_startup_trials": 2, "seed": {{seed}}, "constant_liar": {{(liar ? "true" : "false")}}, "parameters": { "dropout": { "uniform": [0, 1] } } }""";
        // the good trials sit near 0.2 and 0.8 alike; three trials are still running at 0.2
        static List<Trial> Trials()
        {
            var list = new List<Trial>();
            double[] done = [0.2, 0.21, 0.8, 0.79, 0.5, 0.45, 0.55, 0.6, 0.4, 0.35, 0.65, 0.3, 0.7, 0.5, 0.45, 0.55, 0.6, 0.4, 0.35, 0.65];
            for (int i = 0; i < done.Length; i++)
                list.Add(new Trial { Id = i + 1, ConfigId = i, Status = "done", Metric = i < 4 ? 1 : 3, WallS = 1, Params = new TrialParams(new Dictionary<string, JsonNode?> { ["dropout"] = done[i] }) });
            for (int i = 0; i < 3; i++)
                list.Add(new Trial { Id = 30 + i, ConfigId = 30 + i, Status = "running", Params = new TrialParams(new Dictionary<string, JsonNode?> { ["dropout"] = 0.2 + 0.001 * i }) });
            return list;
        }
        int NearRunning(bool liar) => Enumerable.Range(1, 40).Count(seed =>
            Math.Abs(Spec(Json(liar, seed)).Next(Trials()).Values["dropout"]!.GetValue<double>() - 0.2) < 0.1);
        int with = NearRunning(true), without = NearRunning(false);
        Assert.True(with < without, $"near the running trials: {with} of 40 with the liar, {without} without");
        Assert.True(Spec(Json(true, 1)).ConstantLiar);
    }
}
