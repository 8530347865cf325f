namespace GptLab.Losses;

/// <summary>The training losses (config key <c>loss</c>).</summary>
public enum LossKind
{
    CrossEntropy,   // cross_entropy
    Squentropy,     // squentropy: CE + mean squared logit of the incorrect classes (Hui, Wright & Belkin 2023)
    Mse,            // mse: rescaled square loss against one-hot (Hui & Belkin 2021)
    CeMse,          // ce_mse: CE + mean over V of (onehot − f)², true-class term weighted
}
