namespace GptLab.Training;

/// <summary>The learning-rate schedule (config key <c>lr_schedule</c>).</summary>
public enum LrScheduleKind
{
    Cosine,   // cosine: warm-up, cosine decay to min_lr at lr_decay_iters (nanoGPT)
    Wsd,      // wsd: warm-up, stable at learning_rate, linear decay to min_lr over the last decay_frac of lr_decay_iters
}
