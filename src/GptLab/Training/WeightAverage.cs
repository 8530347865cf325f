using GptLab.Model;
using static TorchSharp.torch;

namespace GptLab.Training;

/// <summary>
/// An exponential moving average of the model's weights (config key ema_decay), the weights a run evaluates,
/// samples from and saves as model.safetensors while training continues from its own. After update t the average is
/// avg ← d·avg + (1 − d)·w with d = min(ema_decay, (1 + t) / (10 + t)) — TensorFlow's ExponentialMovingAverage with
/// num_updates, so the first steps are not pulled back to the initial weights. Written here: TorchSharp has no
/// AveragedModel.
/// </summary>
internal sealed class WeightAverage : IDisposable
{
    /// <summary>Prefix of the training weights in optimizer.safetensors (model.safetensors holds the average).</summary>
    public const string TrainingWeightsPrefix = "training_weights/";

    private readonly (string Name, Tensor P)[] parameters;
    private readonly Tensor[] average;
    private readonly double decay;
    private Tensor[]? held;   // the training weights while the average is swapped in

    public WeightAverage(Gpt model, double decay)
    {
        this.decay = decay;
        parameters = model.named_parameters().Select(p => (p.name, (Tensor)p.parameter)).ToArray();
        using var _ = no_grad();
        average = parameters.Select(p => p.P.detach().clone()).ToArray();
    }

    /// <summary>The decay used by update <paramref name="t"/> (1-based).</summary>
    public double DecayAt(long t) => Math.Min(decay, (1.0 + t) / (10.0 + t));

    /// <summary>Folds the current weights in, after optimizer step <paramref name="t"/> (1-based).</summary>
    public void Update(long t)
    {
        using var _ = no_grad();
        double weight = 1 - DecayAt(t);
        for (int i = 0; i < parameters.Length; i++) average[i].lerp_(parameters[i].P, weight);
    }

    /// <summary>Puts the average into the model until the returned scope is disposed, which puts the training
    /// weights back.</summary>
    public IDisposable SwapIn()
    {
        if (held is not null) throw new InvalidOperationException("the average is already swapped in");
        using (no_grad()) held = parameters.Select(p => p.P.detach().clone()).ToArray();
        CopyIntoModel();
        return new Scope(this);
    }

    /// <summary>The average by parameter name: what a checkpoint's model.safetensors holds.</summary>
    public IEnumerable<(string Name, Tensor Tensor)> Averaged() => parameters.Select((p, i) => (p.Name, average[i]));

    /// <summary>The weights training continues from, for optimizer.safetensors.</summary>
    public IEnumerable<(string Name, Tensor Tensor)> TrainingWeights() =>
        parameters.Select((p, i) => (TrainingWeightsPrefix + p.Name, held?[i] ?? p.P));

    /// <summary>Resume: the model was loaded from model.safetensors (the average); the training weights come from
    /// <paramref name="state"/>. A checkpoint saved without an average starts one from its weights.</summary>
    public void Restore(IReadOnlyDictionary<string, Tensor> state)
    {
        using var _ = no_grad();
        for (int i = 0; i < parameters.Length; i++)
        {
            average[i].copy_(parameters[i].P);
            if (state.TryGetValue(TrainingWeightsPrefix + parameters[i].Name, out var w)) parameters[i].P.copy_(w);
        }
    }

    /// <summary>Copies the average into the model; called alone, it stays there for good (the end of training).</summary>
    public void CopyIntoModel()
    {
        using var _ = no_grad();
        for (int i = 0; i < parameters.Length; i++) parameters[i].P.copy_(average[i]);
    }

    private void SwapOut()
    {
        using var _ = no_grad();
        for (int i = 0; i < parameters.Length; i++) parameters[i].P.copy_(held![i]);
        foreach (var t in held!) t.Dispose();
        held = null;
    }

    public void Dispose()
    {
        foreach (var t in average) t.Dispose();
        foreach (var t in held ?? []) t.Dispose();
    }

    private sealed class Scope(WeightAverage owner) : IDisposable
    {
        private bool done;

        public void Dispose()
        {
            if (done) return;
            done = true;
            owner.SwapOut();
        }
    }
}
