using GptLab.Sweeps;

namespace GptLab.Tests.Sweeps;

/// <summary>The pruning rules on hand-made intermediate values (Optuna's MedianPruner and SuccessiveHalvingPruner).</summary>
public class PrunerTests
{
    private static Trial T(int config, string status) => new() { Id = config + 1, ConfigId = config, Status = status };

    private static List<TrialEval> Curves(params (int Config, (int Step, double Nll)[] Points)[] curves) =>
        [.. curves.SelectMany(c => c.Points.Select(p => new TrialEval(c.Config, 0, p.Step, p.Nll)))];

    [Fact]
    public void Median_prunes_a_trial_whose_best_value_is_worse_than_the_median_of_the_others_at_that_step()
    {
        var spec = new PrunerSpec(PrunerKind.Median, NStartupTrials: 2, NWarmupSteps: 10);
        var evals = Curves((0, [(10, 2.0), (20, 1.8)]), (1, [(10, 2.2), (20, 2.0)]), (2, [(10, 3.0), (20, 2.5)]), (3, [(10, 2.5), (20, 1.95)]));
        var trials = new[] { T(0, "done"), T(1, "done"), T(2, "pruned"), T(3, "running") };
        // at step 20 the others hold 1.8, 2.0, 2.5: median 2.0. Trial 3's best so far is 1.95: it goes on
        Assert.Null(Pruner.Judge(spec, 3, 0, 20, evals, trials));
        // at step 10 they hold 2.0, 2.2, 3.0: median 2.2; trial 3 (2.5) is worse: pruned, and the reason says why
        var reason = Pruner.Judge(spec, 3, 0, 10, evals.Where(e => e.ConfigId != 3 || e.Step == 10).ToList(), trials);
        Assert.NotNull(reason);
        Assert.Contains("2.5000 is worse than the median 2.2000 of 3", reason);
    }

    [Fact]
    public void Median_waits_for_its_start_up_trials_and_warm_up_steps()
    {
        var evals = Curves((0, [(10, 1.0)]), (1, [(10, 9.0)]));
        var trials = new[] { T(0, "done"), T(1, "running") };
        Assert.NotNull(Pruner.Judge(new PrunerSpec(PrunerKind.Median, NStartupTrials: 1), 1, 0, 10, evals, trials));
        Assert.Null(Pruner.Judge(new PrunerSpec(PrunerKind.Median, NStartupTrials: 2), 1, 0, 10, evals, trials));     // one finished trial
        Assert.Null(Pruner.Judge(new PrunerSpec(PrunerKind.Median, NStartupTrials: 1, NWarmupSteps: 11), 1, 0, 10, evals, trials));
        Assert.Null(Pruner.Judge(new PrunerSpec(PrunerKind.None), 1, 0, 10, evals, trials));
    }

    [Fact]
    public void Asha_keeps_a_trial_at_a_rung_only_among_the_best_third_of_those_that_reached_it()
    {
        // rungs at 10, 30, 90 (min_iters 10, η 3); evaluations every 10 steps
        var spec = new PrunerSpec(PrunerKind.Asha, MinIters: 10, ReductionFactor: 3);
        Assert.Equal([10, 30, 90], spec.Rungs(100));
        var others = Curves((0, [(10, 2.0), (20, 1.9), (30, 1.7)]), (1, [(10, 2.1), (20, 2.0), (30, 1.9)]), (2, [(10, 2.4)]), (3, [(10, 2.6)]), (4, [(10, 2.8)]));
        var trials = Enumerable.Range(0, 6).Select(i => T(i, i == 5 ? "running" : "done")).ToList();
        // rung 10: six values (2.0, 2.1, 2.4, 2.6, 2.8 and this one): the best ⌊6/3⌋ = 2 go on
        Assert.Null(Pruner.Judge(spec, 5, 0, 10, [.. others, new TrialEval(5, 0, 10, 1.95)], trials));
        Assert.Null(Pruner.Judge(spec, 5, 0, 10, [.. others, new TrialEval(5, 0, 10, 2.1)], trials));
        Assert.Contains("not among the best 2 of 6", Pruner.Judge(spec, 5, 0, 10, [.. others, new TrialEval(5, 0, 10, 2.2)], trials));
        // step 20 is no rung: no decision, however bad
        Assert.Null(Pruner.Judge(spec, 5, 0, 20, [.. others, new TrialEval(5, 0, 10, 1.95), new TrialEval(5, 0, 20, 9.0)], trials));
        // rung 30: three values (1.7, 1.9, this): the best ⌊3/3⌋ = 1 goes on
        var path = new[] { new TrialEval(5, 0, 10, 1.95), new TrialEval(5, 0, 20, 1.85) };
        Assert.Null(Pruner.Judge(spec, 5, 0, 30, [.. others, .. path, new TrialEval(5, 0, 30, 1.6)], trials));
        Assert.NotNull(Pruner.Judge(spec, 5, 0, 30, [.. others, .. path, new TrialEval(5, 0, 30, 1.8)], trials));
        // the first trial at a rung always goes on (asynchronous: no waiting for others)
        Assert.Null(Pruner.Judge(spec, 0, 0, 10, Curves((0, [(10, 5.0)])), [T(0, "running")]));
    }
}
