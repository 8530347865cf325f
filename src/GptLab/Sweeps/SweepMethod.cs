namespace GptLab.Sweeps;

/// <summary>How a sweep picks configurations (spec key <c>method</c>).</summary>
public enum SweepMethod
{
    Grid,      // grid: every combination of the lists
    Random,    // random: max_trials samples of the distributions
    Halving,   // halving: successive halving over phases of growing length
    Tpe,       // tpe: max_trials picked one by one by a Tree-structured Parzen Estimator that learns from finished trials
}
