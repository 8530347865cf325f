using GptLab.Model;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GptLab.Training;

/// <summary>
/// AdamW and SGD as PyTorch computes them, with nanoGPT's parameter groups (weight decay on tensors with ≥ 2
/// dimensions only), and Muon (optimizer: muon): the 2-D weight matrices inside the transformer blocks take
/// Nesterov momentum whose update is orthogonalized (<see cref="NewtonSchulz"/>) and scaled by √max(1, rows/cols),
/// at muon_lr; embeddings, the output head and all gains and biases stay on AdamW at learning_rate. Written here
/// rather than using TorchSharp's optimizers (which have no Muon) so that the state is ours to save bit-exactly
/// (resume) and each parameter is visited exactly once.
/// </summary>
internal sealed class Optimizer : IDisposable
{
    private enum Rule { AdamW, Sgd, Muon }

    private readonly (string Name, Parameter P, bool Decay, Rule Rule)[] parameters;
    private readonly Tensor?[] m;   // AdamW exp_avg / SGD and Muon momentum buffer
    private readonly Tensor?[] v;   // AdamW exp_avg_sq
    private readonly TrainConfig config;

    public Optimizer(Gpt model, TrainConfig config)
    {
        this.config = config;
        Rule RuleOf(string name, Parameter p) => config.Optimizer switch
        {
            OptimizerKind.Sgd => Rule.Sgd,
            OptimizerKind.Muon when p.dim() == 2 && name.StartsWith("transformer.h.", StringComparison.Ordinal) => Rule.Muon,
            _ => Rule.AdamW,
        };
        parameters = model.named_parameters().Where(p => p.parameter.requires_grad)
            .Select(p => (p.name, p.parameter, p.parameter.dim() >= 2, RuleOf(p.name, p.parameter))).ToArray();
        m = new Tensor?[parameters.Length];
        v = new Tensor?[parameters.Length];
    }

    public long Step { get; private set; }

    public IReadOnlyList<Parameter> Parameters => parameters.Select(p => p.P).ToList();

    /// <summary>(decayed, not decayed) tensor and parameter counts, as nanoGPT prints them.</summary>
    public (int DecayTensors, long DecayParams, int NoDecayTensors, long NoDecayParams) Groups =>
        (parameters.Count(p => p.Decay), parameters.Where(p => p.Decay).Sum(p => p.P.numel()),
         parameters.Count(p => !p.Decay), parameters.Where(p => !p.Decay).Sum(p => p.P.numel()));

    /// <summary>Names of the parameters Muon updates (optimizer: muon), for tests and the start-up line.</summary>
    public IReadOnlyList<string> MuonParameters => parameters.Where(p => p.Rule == Rule.Muon).Select(p => p.Name).ToList();

    public void ZeroGrad()
    {
        foreach (var p in parameters) p.P.grad = null;
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

    /// <summary>One update at learning rate <paramref name="lr"/> (the schedule's value for learning_rate; Muon's
    /// matrices follow the same schedule scaled to muon_lr).</summary>
    public void Apply(double lr)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        Step++;
        double muonLr = lr * config.MuonLr / config.LearningRate;
        var muon = new List<(int Index, Tensor Nesterov, double Wd)>();
        for (int i = 0; i < parameters.Length; i++)
        {
            var (_, p, decay, rule) = parameters[i];
            var g = p.grad;
            if (g is null) continue;
            double wd = decay ? config.WeightDecay : 0;
            switch (rule)
            {
                case Rule.Sgd:
                    if (wd != 0) g = g.add(p, alpha: wd);
                    if (config.Momentum != 0)
                    {
                        if (m[i] is null) m[i] = g.detach().clone().DetachFromDisposeScope();
                        else m[i]!.mul_(config.Momentum).add_(g);
                        g = m[i]!;
                    }
                    p.add_(g, alpha: -lr);
                    break;
                case Rule.Muon:
                    m[i] ??= zeros_like(p).DetachFromDisposeScope();
                    m[i]!.mul_(config.MuonMomentum).add_(g);                                  // buf = μ·buf + g
                    muon.Add((i, g.add(m[i]!, alpha: config.MuonMomentum), wd));              // g + μ·buf, orthogonalized below
                    break;
                default:
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
                        break;
                    }
            }
        }
        if (muon.Count == 0) return;
        var updates = NewtonSchulz.Orthogonalize(muon.Select(u => u.Nesterov).ToList(), config.MuonDtype.Autocast() ?? ScalarType.Float32);   // all matrices at once, batched by shape
        for (int k = 0; k < muon.Count; k++)
        {
            var (index, _, wd) = muon[k];
            var p = parameters[index].P;
            double shape = Math.Sqrt(Math.Max(1.0, (double)p.shape[0] / p.shape[1]));
            if (wd != 0) p.mul_(1 - muonLr * wd);
            p.add_(updates[k], alpha: -muonLr * shape);
        }
    }

    private static string FirstStateName(Rule rule) => rule switch { Rule.Sgd => "momentum", Rule.Muon => "muon_momentum", _ => "exp_avg" };

    /// <summary>State tensors by name ("exp_avg/NAME", "exp_avg_sq/NAME", "momentum/NAME", "muon_momentum/NAME") for a checkpoint.</summary>
    public IEnumerable<(string Name, Tensor Tensor)> State()
    {
        for (int i = 0; i < parameters.Length; i++)
        {
            if (m[i] is Tensor a) yield return ($"{FirstStateName(parameters[i].Rule)}/{parameters[i].Name}", a);
            if (v[i] is Tensor b) yield return ($"exp_avg_sq/{parameters[i].Name}", b);
        }
    }

    public void LoadState(IReadOnlyDictionary<string, Tensor> state, long step)
    {
        for (int i = 0; i < parameters.Length; i++)
        {
            if (state.TryGetValue($"{FirstStateName(parameters[i].Rule)}/{parameters[i].Name}", out var a)) { m[i]?.Dispose(); m[i] = a.clone(); }
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
