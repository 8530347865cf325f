using System.Text.Json;
using System.Text.Json.Nodes;
using GptLab.Benchmarks;
using GptLab.IO;
using GptLab.Model;
using GptLab.Training;

namespace GptLab.Tests.Training;

/// <summary>`gptlab bench speedrun` on a tiny model: whole-split evaluations every N steps, milestones read from
/// them, the clock stopped while evaluating, and each way a race ends.</summary>
public class SpeedrunTests
{
    [Fact]
    public void A_race_evaluates_the_whole_validation_split_every_n_steps_and_stops_at_the_target()
    {
        using var dir = new TempDir();
        var config = Tiny.Config(Tiny.CharDataset(dir), 60) with { LearningRate = 1e-2 };
        var seen = new List<SpeedrunPoint>();
        var first = Speedrun.Run("tiny", config, new SpeedrunOptions { Target = 1e-6, EvalEvery = 10, BudgetMinutes = 10, Milestones = [4.0, 3.5] }, seen.Add);
        Assert.Equal("max_iters", first.Ended);                       // 1e-6 is out of reach: the schedule ends it
        Assert.Equal(Enumerable.Range(1, 6).Select(i => i * 10), first.Points.Select(p => p.Step));
        Assert.Equal(first.Points, seen);
        Assert.True(first.Points[^1].ValNll < first.Points[0].ValNll);
        Assert.True(first.EvalMinutes > 0 && first.TrainMinutes > 0);
        Assert.All(first.Points.Zip(first.Points.Skip(1)), p => Assert.True(p.Second.TrainMinutes >= p.First.TrainMinutes));

        // the whole-split NLL is the one `gptlab eval` computes: the same model evaluated again gives the same value
        double target = first.Points[2].ValNll;                       // reached at step 30 in the first race
        var second = Speedrun.Run("tiny", config, new SpeedrunOptions { Target = target, EvalEvery = 10, BudgetMinutes = 10 });
        Assert.Equal("target", second.Ended);
        Assert.Equal(30, second.Steps);
        Assert.Equal(first.Points.Take(3).Select(p => p.ValNll), second.Points.Select(p => p.ValNll));   // deterministic
        var hit = second.Milestones.Single(m => m.Loss == target);
        Assert.Equal(30, hit.Step);
        Assert.Equal(30L * config.TokensPerIter, hit.Tokens);
        Assert.All(second.Milestones.Where(m => m.Loss < target), m => Assert.Null(m.Minutes));
    }

    [Fact]
    public void A_race_past_its_budget_ends_with_a_final_evaluation()
    {
        using var dir = new TempDir();
        var config = Tiny.Config(Tiny.CharDataset(dir), 100000);
        var r = Speedrun.Run("tiny", config, new SpeedrunOptions { Target = 0.01, EvalEvery = 1000, BudgetMinutes = 0.02 });
        Assert.Equal("budget", r.Ended);
        Assert.True(r.Steps is > 0 and < 100000);
        Assert.Equal(r.Steps, r.Points[^1].Step);
    }

    [Fact]
    public void The_bench_command_races_each_seed_and_prints_json_with_the_medians()
    {
        using var dir = new TempDir();
        var config = JsonSerializer.SerializeToNode(Tiny.Config(Tiny.CharDataset(dir), 20), Json.Options)!.AsObject();
        File.WriteAllText(dir["race.json"], config.ToJsonString());
        var r = GptLabProcess.Run(dir.Path, "bench", "speedrun", "--preset", "race.json", "--target", "3.9", "--eval-every", "5", "--seeds", "1,2", "--json", "--threads", "1");
        Assert.True(r.Exit == 0, r.Err + r.Out);
        var lines = r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        Assert.Equal(3, lines.Count);                                  // a line per seed, then the summary
        Assert.Equal([1, 2], lines.Take(2).Select(l => l["seed"]!.GetValue<int>()));
        Assert.Equal([1, 2], lines[2]["seeds"]!.AsArray().Select(s => s!.GetValue<int>()));
        Assert.NotNull(lines[2]["median_best_val_nll"]);
        var bad = GptLabProcess.Run(dir.Path, "bench", "speedrun", "--preset", "race.json", "--budget-min", "0");
        Assert.NotEqual(0, bad.Exit);
        Assert.Contains("--budget-min", bad.Err);
    }

    [Fact]
    public void Ablations_switch_back_exactly_the_options_that_differ_from_nanogpt()
    {
        var preset = ConfigResolver.Resolve([ConfigResolver.LoadPreset("shakespeare-char-speedrun")], []);
        var sets = SpeedrunAblation.Of(preset).Select(a => a.Set).ToList();
        Assert.Equal(["optimizer=adamw", "muon_dtype=float32", "norm=layernorm", "qk_norm=false", "activation=gelu", "pos_embedding=learned", "tie_embeddings=true", "zero_init_proj=false", "lr_schedule=cosine", "ema_decay=0", "dtype=float32"], sets);
        Assert.Empty(SpeedrunAblation.Of(ConfigResolver.Resolve([ConfigResolver.LoadPreset("shakespeare-char")], [])));   // nanoGPT's recipe has none
        foreach (var set in sets) ConfigResolver.Resolve([ConfigResolver.LoadPreset("shakespeare-char-speedrun")], [set]);   // each is a valid --set
    }

    [Fact]
    public void The_bench_command_ablates_each_option_and_prints_a_table_row_for_each()
    {
        using var dir = new TempDir();
        var config = JsonSerializer.SerializeToNode(Tiny.Config(Tiny.CharDataset(dir), 10) with { Norm = NormKind.RmsNorm, QkNorm = true }, Json.Options)!.AsObject();
        File.WriteAllText(dir["race.json"], config.ToJsonString());
        var r = GptLabProcess.Run(dir.Path, "bench", "speedrun", "--preset", "race.json", "--target", "3.9", "--eval-every", "5", "--ablate", "--json", "--threads", "1");
        Assert.True(r.Exit == 0, r.Err + r.Out);
        var lines = r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        Assert.Equal(4, lines.Count);                                  // the preset, norm and qk_norm switched back, the table
        var rows = lines[3]["rows"]!.AsArray().Select(x => x!["option"]?.GetValue<string>()).ToList();
        Assert.Equal([null, "norm", "qk_norm"], rows);
        Assert.Equal("layernorm", lines[3]["rows"]![1]!["nanogpt_value"]!.GetValue<string>());
        var none = GptLabProcess.Run(dir.Path, "bench", "speedrun", "--preset", "shakespeare-char", "--ablate");
        Assert.NotEqual(0, none.Exit);
        Assert.Contains("nothing to switch back", none.Err);
    }
}
