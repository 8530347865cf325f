using GptLab.Model;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GptLab.Training;

/// <summary>
/// AdamW and SGD as PyTorch computes them, with nanoGPT's parameter groups (weight decay on tensors with ≥ 2
/// dimensions only). Written here rather than using TorchSharp's optimizers so that the state is ours to save
/// bit-exactly (resume) and each parameter is visited exactly once.
/// </summary>
internal sealed class Optimizer : IDisposable
{
    private readonly (string Name, Parameter P, bool Decay)[] parameters;
    private readonly Tensor?[] m;   // AdamW exp_avg / SGD momentum buffer
    private readonly Tensor?[] v;   // AdamW exp_avg_sq
    private readonly TrainConfig config;

    public Optimizer(Gpt model, TrainConfig config)
    {
        this.config = config;
        parameters = model.named_parameters().Where(p => p.parameter.requires_grad)
            .Select(p => (p.name, p.parameter, p.parameter.dim() >= 2)).ToArray();
        m = new Tensor?[parameters.Length];
        v = new Tensor?[parameters.Length];
    }

    public long Step { get; private set; }

    public IReadOnlyList<Parameter> Parameters => parameters.Select(p => p.P).ToList();

    /// <summary>(decayed, not decayed) tensor and parameter counts, as nanoGPT prints them.</summary>
    public (int DecayTensors, long DecayParams, int NoDecayTensors, long NoDecayParams) Groups =>
        (parameters.Count(p => p.Decay), parameters.Where(p => p.Decay).Sum(p => p.P.numel()),
         parameters.Count(p => !p.Decay), parameters.Where(p => !p.Decay).Sum(p => p.P.numel()));

    public void ZeroGrad()
    {
        foreach (var (_, p, _) in parameters) p.grad = null;
    }

    /// <summary>Global L2 norm of the gradients; scales them to <paramref name="maxNorm"/> when larger (0 = never).</summary>
    public double ClipGradNorm(double maxNorm)
    {
        using var scope = NewDisposeScope();
        var grads = parameters.Select(p => p.P.grad).Where(g => g is not null).Select(g => g!).ToArray();
        if (grads.Length == 0) return 0;
        var norms = stack(grads.Select(g => g.norm()).ToArray());
        var total = norms.norm();
        double t = total.item<float>();
        if (maxNorm > 0 && t > maxNorm)
        {
            double scale = maxNorm / (t + 1e-6);
            foreach (var g in grads) g.mul_(scale);
        }
        return t;
    }

    public void Apply(double lr)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        Step++;
        for (int i = 0; i < parameters.Length; i++)
        {
            var (_, p, decay) = parameters[i];
            var g = p.grad;
            if (g is null) continue;
            double wd = decay ? config.WeightDecay : 0;
            if (config.Optimizer == OptimizerKind.Sgd)
            {
                if (wd != 0) g = g.add(p, alpha: wd);
                if (config.Momentum != 0)
                {
                    if (m[i] is null) m[i] = g.detach().clone().DetachFromDisposeScope();
                    else m[i]!.mul_(config.Momentum).add_(g);
                    g = m[i]!;
                }
                p.add_(g, alpha: -lr);
            }
            else
            {
                m[i] ??= zeros_like(p).DetachFromDisposeScope();
                v[i] ??= zeros_like(p).DetachFromDisposeScope();
                if (wd != 0) p.mul_(1 - lr * wd);
                m[i]!.mul_(config.Beta1).add_(g, alpha: 1 - config.Beta1);
                v[i]!.mul_(config.Beta2).addcmul_(g, g, value: 1 - config.Beta2);
                double bc1 = 1 - Math.Pow(config.Beta1, Step);
                double bc2 = 1 - Math.Pow(config.Beta2, Step);
                var denom = (v[i]!.sqrt() / Math.Sqrt(bc2)).add_(1e-8);
                p.addcdiv_(m[i]!, denom, value: -lr / bc1);
            }
        }
    }

    /// <summary>State tensors by name ("exp_avg/NAME", "exp_avg_sq/NAME", "momentum/NAME") for a checkpoint.</summary>
    public IEnumerable<(string Name, Tensor Tensor)> State()
    {
        string first = config.Optimizer == OptimizerKind.Sgd ? "momentum" : "exp_avg";
        for (int i = 0; i < parameters.Length; i++)
        {
            if (m[i] is Tensor a) yield return ($"{first}/{parameters[i].Name}", a);
            if (v[i] is Tensor b) yield return ($"exp_avg_sq/{parameters[i].Name}", b);
        }
    }

    public void LoadState(IReadOnlyDictionary<string, Tensor> state, long step)
    {
        string first = config.Optimizer == OptimizerKind.Sgd ? "momentum" : "exp_avg";
        for (int i = 0; i < parameters.Length; i++)
        {
            if (state.TryGetValue($"{first}/{parameters[i].Name}", out var a)) { m[i]?.Dispose(); m[i] = a.clone(); }
            if (state.TryGetValue($"exp_avg_sq/{parameters[i].Name}", out var b)) { v[i]?.Dispose(); v[i] = b.clone(); }
        }
        Step = step;
    }

    public void Dispose()
    {
        foreach (var t in m) t?.Dispose();
        foreach (var t in v) t?.Dispose();
    }
}
