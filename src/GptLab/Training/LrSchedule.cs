namespace GptLab.Training;

/// <summary>nanoGPT's get_lr: linear warm-up, cosine decay to min_lr at lr_decay_iters, then min_lr.</summary>
internal static class LrSchedule
{
    public static double Get(int it, TrainConfig c)
    {
        if (!c.DecayLr) return c.LearningRate;
        if (it < c.WarmupIters) return c.LearningRate * (it + 1) / (c.WarmupIters + 1);
        if (it > c.LrDecayIters) return c.MinLr;
        if (c.LrSchedule == LrScheduleKind.Wsd)
        {
            double decayStart = c.LrDecayIters - c.DecayFrac * (c.LrDecayIters - c.WarmupIters);
            if (it <= decayStart) return c.LearningRate;
            return c.LearningRate + (c.MinLr - c.LearningRate) * (it - decayStart) / Math.Max(1e-9, c.LrDecayIters - decayStart);
        }
        double ratio = (double)(it - c.WarmupIters) / Math.Max(1, c.LrDecayIters - c.WarmupIters);
        double coeff = 0.5 * (1.0 + Math.Cos(Math.PI * ratio));
        return c.MinLr + coeff * (c.LearningRate - c.MinLr);
    }

    /// <summary>The schedule in words, printed as a run starts.</summary>
    public static string Describe(TrainConfig c, int maxIters) => !c.DecayLr
        ? $"constant learning rate {c.LearningRate:0.###e+0} for {maxIters:N0} iterations"
        : $"learning rate {c.LearningRate:0.###e+0}: warm-up {c.WarmupIters:N0} iterations, {(c.LrSchedule == LrScheduleKind.Wsd ? $"stable, then linear decay over the last {c.DecayFrac:P0}" : "cosine decay")} to {c.MinLr:0.###e+0} at {c.LrDecayIters:N0}; {maxIters:N0} iterations";

    /// <summary>
    /// When the iterations of a preset change (<c>--set max_iters=300</c>, a sweep's phases) and the schedule keys
    /// are not given too, the schedule follows: <c>lr_decay_iters</c> and <c>warmup_iters</c> scale with the
    /// iterations, so the learning rate still warms up and decays within the run. Returns the note to print, or null.
    /// </summary>
    public static (TrainConfig Config, string? Note) FitToIters(TrainConfig preset, TrainConfig config, int iters, ICollection<string> explicitKeys)
    {
        if (iters == preset.MaxIters || preset.MaxIters <= 0 || explicitKeys.Contains("lr_decay_iters")) return (config, null);
        double scale = (double)iters / preset.MaxIters;
        int decay = Math.Max(1, (int)Math.Round(preset.LrDecayIters * scale));
        int warmup = explicitKeys.Contains("warmup_iters") ? config.WarmupIters : Math.Min(decay, (int)Math.Round(preset.WarmupIters * scale));
        if (decay == config.LrDecayIters && warmup == config.WarmupIters) return (config, null);
        var fitted = config with { LrDecayIters = decay, WarmupIters = warmup };
        return (fitted, $"max_iters {iters:N0} differs from the preset's {preset.MaxIters:N0}: lr_decay_iters {config.LrDecayIters:N0} → {decay:N0}, warmup_iters {config.WarmupIters:N0} → {warmup:N0} (set them to keep your own)");
    }
}
