namespace GptLab.Training;

/// <summary>nanoGPT's get_lr: linear warm-up, cosine decay to min_lr at lr_decay_iters, then min_lr.</summary>
internal static class LrSchedule
{
    public static double Get(int it, TrainConfig c)
    {
        if (!c.DecayLr) return c.LearningRate;
        if (it < c.WarmupIters) return c.LearningRate * (it + 1) / (c.WarmupIters + 1);
        if (it > c.LrDecayIters) return c.MinLr;
        double ratio = (double)(it - c.WarmupIters) / Math.Max(1, c.LrDecayIters - c.WarmupIters);
        double coeff = 0.5 * (1.0 + Math.Cos(Math.PI * ratio));
        return c.MinLr + coeff * (c.LearningRate - c.MinLr);
    }
}
