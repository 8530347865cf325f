using System.Text.Json.Nodes;

namespace GptLab.Sweeps;

/// <summary>
/// Tree-structured Parzen Estimator (Bergstra, Bardenet, Bengio &amp; Kégl 2011) as Optuna's <c>TPESampler</c> does it by
/// default (univariate, no constant liar): the finished trials are split at a quantile — the best γ(n) = min(⌈0.1·n⌉, 25)
/// are "good", the rest and every pruned trial "bad"; for each parameter a Parzen density l(x) is fitted to the good
/// values and g(x) to the bad ones — truncated Gaussians on the parameter's range (log for log-uniform, ±0.5 around an
/// int range), one per observation plus a prior spanning the range, each bandwidth the larger gap to its neighbours
/// clipped to [range / min(100, 1 + components), range] (hyperopt's "magic clip"); a categorical gets its counts plus a
/// uniform prior — and of <c>n_ei_candidates</c> values drawn from l the one with the largest l(x)/g(x) is taken (which
/// maximises expected improvement). Before <c>n_startup_trials</c> trials have finished it samples at random.
/// No TPE for .NET is on NuGet: written here from that definition, and tested against it.
/// </summary>
internal static class TpeSampler
{
    private const double PriorWeight = 1.0;

    /// <summary>How many of n finished trials are "good" (Optuna's default γ).</summary>
    public static int GoodCount(int n) => Math.Min((int)Math.Ceiling(0.1 * n), 25);

    /// <summary>One observation: a finished trial's parameters and its value (lower is better), or a pruned one.</summary>
    public readonly record struct Observation(IReadOnlyDictionary<string, JsonNode?> Params, double Value, bool Pruned);

    public static Dictionary<string, JsonNode?> Suggest(IReadOnlyDictionary<string, SearchDistribution> space, IReadOnlyList<Observation> observations,
        int startupTrials, int candidates, Random rng)
    {
        if (observations.Count < startupTrials) return space.ToDictionary(kv => kv.Key, kv => kv.Value.Sample(rng));
        var ranked = observations.Where(o => !o.Pruned && double.IsFinite(o.Value)).OrderBy(o => o.Value)
            .Concat(observations.Where(o => o.Pruned || !double.IsFinite(o.Value))).ToList();
        int nGood = Math.Min(GoodCount(ranked.Count), observations.Count(o => !o.Pruned && double.IsFinite(o.Value)));
        var good = ranked.Take(nGood).ToList();
        var bad = ranked.Skip(nGood).ToList();
        var result = new Dictionary<string, JsonNode?>();
        foreach (var (name, d) in space)
        {
            List<double> Values(List<Observation> os) =>
                [.. os.Select(o => o.Params.TryGetValue(name, out var v) ? d.ToInternal(v) : null).OfType<double>()];
            result[name] = SampleParameter(d, Values(good), Values(bad), candidates, rng);
        }
        return result;
    }

    /// <summary>One parameter: <paramref name="candidates"/> draws from l, the one with the largest log l − log g.</summary>
    public static JsonNode? SampleParameter(SearchDistribution d, IReadOnlyList<double> good, IReadOnlyList<double> bad, int candidates, Random rng)
    {
        if (d.IsChoice)
        {
            int k = d.Choices!.Count;
            double[] l = CategoricalWeights(k, good), g = CategoricalWeights(k, bad);
            int best = -1;
            double bestScore = double.NegativeInfinity;
            for (int i = 0; i < candidates; i++)
            {
                int c = Draw(l, rng);
                double score = Math.Log(l[c]) - Math.Log(g[c]);
                if (score > bestScore) { bestScore = score; best = c; }
            }
            return d.FromInternal(best);
        }
        var (lo, hi) = d.Internal;
        var lm = Parzen.Fit(good, lo, hi);
        var gm = Parzen.Fit(bad, lo, hi);
        double chosen = double.NaN, top = double.NegativeInfinity;
        for (int i = 0; i < candidates; i++)
        {
            double x = lm.Sample(rng);
            double score;
            if (d.IsInt)
            {
                x = Math.Clamp(Math.Round(x), d.Low, d.High);   // an int's probability is its unit interval's mass
                score = lm.LogMass(x - 0.5, x + 0.5) - gm.LogMass(x - 0.5, x + 0.5);
            }
            else score = lm.LogPdf(x) - gm.LogPdf(x);
            if (score > top || double.IsNaN(chosen)) { top = score; chosen = x; }
        }
        return d.FromInternal(chosen);
    }

    /// <summary>A categorical Parzen estimator: the counts of each choice plus a uniform prior, normalised.</summary>
    public static double[] CategoricalWeights(int k, IReadOnlyList<double> observed)
    {
        var w = Enumerable.Repeat(PriorWeight / k, k).ToArray();
        foreach (var o in observed) w[(int)o] += 1;
        double sum = w.Sum();
        return [.. w.Select(x => x / sum)];
    }

    private static int Draw(double[] weights, Random rng)
    {
        double u = rng.NextDouble(), acc = 0;
        for (int i = 0; i < weights.Length; i++) { acc += weights[i]; if (u < acc) return i; }
        return weights.Length - 1;
    }

    /// <summary>A mixture of Gaussians truncated to [Low, High].</summary>
    public sealed record Parzen(double[] Mus, double[] Sigmas, double[] Weights, double Low, double High)
    {
        /// <summary>The estimator over <paramref name="observed"/>: one component each plus the prior (the range's middle,
        /// its width as σ); each σ the larger gap to its neighbours (the two ends: their one neighbour), clipped.</summary>
        public static Parzen Fit(IReadOnlyList<double> observed, double low, double high)
        {
            double width = Math.Max(high - low, 1e-12), prior = (low + high) / 2;
            var points = observed.Select((x, i) => (Mu: x, Prior: false)).Append((Mu: prior, Prior: true)).OrderBy(p => p.Mu).ToList();
            int n = points.Count;
            var mus = points.Select(p => p.Mu).ToArray();
            var sigmas = new double[n];
            for (int i = 0; i < n; i++)
            {
                double left = i > 0 ? mus[i] - mus[i - 1] : double.NaN, right = i < n - 1 ? mus[i + 1] - mus[i] : double.NaN;
                sigmas[i] = n == 1 ? width : double.IsNaN(left) ? right : double.IsNaN(right) ? left : Math.Max(left, right);
                if (points[i].Prior) sigmas[i] = width;
            }
            double minSigma = width / Math.Min(100.0, 1.0 + n);
            for (int i = 0; i < n; i++) sigmas[i] = Math.Clamp(sigmas[i], minSigma, width);
            var weights = points.Select(p => p.Prior ? PriorWeight : 1.0).ToArray();
            double sum = weights.Sum();
            return new Parzen(mus, sigmas, [.. weights.Select(w => w / sum)], low, high);
        }

        public double Sample(Random rng)
        {
            int k = Draw(Weights, rng);
            for (int tries = 0; tries < 100; tries++)
            {
                double x = Mus[k] + Sigmas[k] * Normal(rng);
                if (x >= Low && x <= High) return x;
            }
            return Low + rng.NextDouble() * (High - Low);
        }

        public double LogPdf(double x)
        {
            double p = 0;
            for (int k = 0; k < Mus.Length; k++)
            {
                double z = (x - Mus[k]) / Sigmas[k];
                p += Weights[k] * Math.Exp(-0.5 * z * z) / (Sigmas[k] * Math.Sqrt(2 * Math.PI)) / Mass(k, Low, High);
            }
            return Math.Log(Math.Max(p, 1e-300));
        }

        public double LogMass(double a, double b)
        {
            double p = 0;
            for (int k = 0; k < Mus.Length; k++) p += Weights[k] * Mass(k, Math.Max(a, Low), Math.Min(b, High)) / Mass(k, Low, High);
            return Math.Log(Math.Max(p, 1e-300));
        }

        private double Mass(int k, double a, double b) =>
            Math.Max(Phi((b - Mus[k]) / Sigmas[k]) - Phi((a - Mus[k]) / Sigmas[k]), 1e-300);
    }

    private static double Normal(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    /// <summary>The standard normal CDF (.NET has no erf): Abramowitz &amp; Stegun 7.1.26, error below 1.5e-7.</summary>
    public static double Phi(double z)
    {
        double x = Math.Abs(z) / Math.Sqrt(2), t = 1 / (1 + 0.3275911 * x);
        double erf = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.Exp(-x * x);
        return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
    }
}
