using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using GptLab.IO;
using GptLab.Training;

namespace GptLab.Sweeps;

/// <summary>A trial's configuration: the swept (and derived) parameters.</summary>
public sealed record TrialParams(IReadOnlyDictionary<string, JsonNode?> Values)
{
    public string ToJson() => new JsonObject(Values.Select(kv => KeyValuePair.Create(kv.Key, kv.Value?.DeepClone()))).ToJsonString();
    public static TrialParams FromJson(string json) =>
        new(JsonNode.Parse(json)!.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value?.DeepClone()));
    public override string ToString() => string.Join(", ", Values.Select(kv => $"{kv.Key}={kv.Value?.ToJsonString().Trim('"')}"));
}

/// <summary>
/// A sweep: base preset and dataset, parameters as lists (grid) or distributions (random), constraints, the method
/// (grid | random | halving) with its <see cref="HalvingSchedule"/>, the metric. Read from JSON or YAML into typed
/// records, checked completely before anything runs.
/// </summary>
public sealed class SweepSpec
{
    public string Preset { get; private init; } = ConfigResolver.DefaultPreset;
    public string? Data { get; private init; }
    public SweepMethod Method { get; private init; }
    public SweepMetric Metric { get; private init; }
    public SweepDirection Direction { get; private init; }
    public JsonObject Fixed { get; private init; } = [];
    public IReadOnlyDictionary<string, JsonNode> Parameters { get; private init; } = new Dictionary<string, JsonNode>();
    public IReadOnlyList<string> Constraints { get; private init; } = [];
    public int? MaxTrials { get; private init; }
    public int Seed { get; private init; }
    public int Workers { get; private init; } = 1;
    public HalvingSchedule Schedule { get; private init; } = HalvingSchedule.Single(1);
    public double HeartbeatTimeout { get; private init; } = 60;
    public int MaxAttempts { get; private init; } = 3;

    /// <summary>TPE: trials sampled at random before the estimator is used, and the candidates it ranks per parameter.</summary>
    public int NStartupTrials { get; private init; } = 10;
    public int NEiCandidates { get; private init; } = 24;

    /// <summary>TPE with parallel workers: count running trials as bad ones (Optuna's <c>constant_liar</c>), so
    /// workers sampling at the same time spread out instead of crowding the same good region.</summary>
    public bool ConstantLiar { get; private init; }
    public PrunerSpec Pruner { get; private init; } = PrunerSpec.None;

    /// <summary>Training time is a second objective (<c>metrics: [val_nll, train_time]</c>): the report draws the
    /// Pareto front. Samplers and pruners rank by the first.</summary>
    public bool TimeObjective { get; private init; }
    public JsonObject Source { get; private init; } = [];

    public IReadOnlyList<SweepPhase> Phases => Schedule.Phases;
    public string MetricName => JsonEnum.Name(Metric);
    public bool Minimize => Direction == SweepDirection.Minimize;

    public static SweepSpec Load(string path)
    {
        if (!File.Exists(path)) throw new GptLabException($"{path}: no such sweep spec");
        string text = File.ReadAllText(path);
        JsonObject node;
        try
        {
            node = path.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".yml", StringComparison.OrdinalIgnoreCase)
                ? YamlToJson(text) : JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })!.AsObject();
        }
        catch (Exception e) when (e is JsonException or YamlDotNet.Core.YamlException or InvalidOperationException)
        {
            throw new GptLabException($"{path}: not a valid sweep spec ({e.Message.Split('\n')[0]})");
        }
        return Parse(node);
    }

    private static JsonObject YamlToJson(string yaml)
    {
        var obj = new YamlDotNet.Serialization.DeserializerBuilder().WithAttemptingUnquotedStringTypeDeserialization().Build().Deserialize<object>(yaml);
        var json = new YamlDotNet.Serialization.SerializerBuilder().JsonCompatible().Build().Serialize(obj!);
        return JsonNode.Parse(json)!.AsObject();
    }

    public static SweepSpec Parse(JsonObject o)
    {
        var d = JsonRecord.Read<SweepSpecDocument>(o, "sweep spec");
        var parameters = (d.Parameters ?? throw new GptLabException("sweep spec: 'parameters' must be an object of name: values"))
            .ToDictionary(kv => kv.Key, kv => kv.Value ?? throw new GptLabException($"sweep spec: parameter '{kv.Key}' has no values"));
        if (parameters.Count == 0) throw new GptLabException("sweep spec: 'parameters' is empty");
        foreach (var (name, values) in parameters)
        {
            if (!ConfigResolver.Keys.Contains(name)) throw new GptLabException($"sweep spec: '{name}' is not a config key");
            if (values is JsonArray a && a.Count == 0) throw new GptLabException($"sweep spec: parameter '{name}' has an empty list");
            if (values is JsonObject dist) SearchDistribution.Parse(name, dist);
            else if (values is not JsonArray) throw new GptLabException($"sweep spec: parameter '{name}' needs a list of values or a distribution");
            if (d.Method == SweepMethod.Grid && values is not JsonArray) throw new GptLabException($"sweep spec: grid needs lists; '{name}' is a distribution (use method random)");
        }
        var fixedValues = d.Fixed ?? [];
        foreach (var (k, _) in fixedValues)
            if (!ConfigResolver.Keys.Contains(k)) throw new GptLabException($"sweep spec: fixed key '{k}' is not a config key");
        if (d.Method is SweepMethod.Random or SweepMethod.Tpe && d.MaxTrials is null) throw new GptLabException($"sweep spec: method {JsonEnum.Name(d.Method)} needs max_trials");
        if (d.NStartupTrials is < 0 || d.NEiCandidates is < 1) throw new GptLabException("sweep spec: n_startup_trials must be ≥ 0 and n_ei_candidates ≥ 1");
        if (d.MaxTrials is < 1) throw new GptLabException("sweep spec: max_trials must be ≥ 1");
        if (d.Workers < 1) throw new GptLabException("sweep spec: workers must be ≥ 1");
        if (d.MaxAttempts < 1) throw new GptLabException("sweep spec: max_attempts must be ≥ 1");
        if (!(d.HeartbeatTimeout > 0)) throw new GptLabException("sweep spec: heartbeat_timeout must be > 0 seconds");
        var (metric, timeObjective) = ObjectivesOf(d, o.ContainsKey("metric"));
        var spec = new SweepSpec
        {
            Preset = d.Preset ?? ConfigResolver.DefaultPreset, Data = d.Data, Method = d.Method, Metric = metric, Direction = d.Direction, TimeObjective = timeObjective,
            Fixed = fixedValues, Parameters = parameters, Constraints = d.Constraints ?? [], MaxTrials = d.MaxTrials, Seed = d.Seed,
            Workers = d.Workers, HeartbeatTimeout = d.HeartbeatTimeout, MaxAttempts = d.MaxAttempts, Source = (JsonObject)o.DeepClone(),
            NStartupTrials = d.NStartupTrials ?? 10, NEiCandidates = d.NEiCandidates ?? 24, ConstantLiar = d.ConstantLiar, Pruner = PrunerOf(d.Pruner),
        };
        var baseConfig = spec.BaseConfig();   // validates preset, data and fixed keys
        spec = spec.With(ScheduleOf(d, baseConfig.MaxIters));
        if (spec.Expand().Count == 0) throw new GptLabException("sweep spec: the constraints rule out every configuration");
        return spec;
    }

    private static (SweepMetric Metric, bool Time) ObjectivesOf(SweepSpecDocument d, bool metricGiven)
    {
        if (d.Metrics is null) return (d.Metric, false);
        if (metricGiven) throw new GptLabException("sweep spec: give metric or metrics, not both");
        var names = JsonEnum.Names(typeof(SweepMetric));
        if (d.Metrics.Count is < 1 or > 2 || !names.Contains(d.Metrics[0]) || (d.Metrics.Count == 2 && d.Metrics[1] != "train_time"))
            throw new GptLabException($"sweep spec: metrics is [METRIC] or [METRIC, train_time], METRIC one of {string.Join(", ", names)}; got [{string.Join(", ", d.Metrics)}]");
        return (JsonEnum.Parse<SweepMetric>(d.Metrics[0], "sweep spec: metrics[0]"), d.Metrics.Count == 2);
    }

    private static PrunerSpec PrunerOf(SweepSpecDocument.PrunerDocument? p)
    {
        if (p is null) return PrunerSpec.None;
        var kind = JsonEnum.Parse<PrunerKind>(p.Type ?? "", "sweep spec: pruner.type");
        var spec = new PrunerSpec(kind, p.NStartupTrials ?? 5, p.NWarmupSteps ?? 0, p.MinIters ?? 100, p.ReductionFactor ?? 3);
        if (spec.NStartupTrials < 0 || spec.NWarmupSteps < 0 || spec.MinIters < 1 || !(spec.ReductionFactor > 1))
            throw new GptLabException("sweep spec: pruner needs n_startup_trials ≥ 0, n_warmup_steps ≥ 0, min_iters ≥ 1 and reduction_factor > 1");
        return spec;
    }

    /// <summary>The search space: each parameter's distribution (a list is a choice).</summary>
    internal IReadOnlyDictionary<string, SearchDistribution> Space => space ??= Parameters.ToDictionary(kv => kv.Key, kv => SearchDistribution.Of(kv.Key, kv.Value));
    private IReadOnlyDictionary<string, SearchDistribution>? space;

    /// <summary>TPE: the next configuration to try, given every trial so far (finished ones teach the estimator). The
    /// same trials give the same answer on any machine (the seed and the number of trials pick the random stream); a
    /// configuration the constraints rule out, or one already tried, is drawn again.</summary>
    public TrialParams Next(IReadOnlyList<Trial> trials)
    {
        var rng = new Random(unchecked(Seed * 1_000_003 + trials.Count));
        var observations = trials.Where(t => t.Phase == 0 && (t.Status is "done" or "pruned" || (ConstantLiar && t.Status == "running")))
            .Select(t => new TpeSampler.Observation(t.Params.Values, t.Status == "done" && t.Metric is double m ? (Minimize ? m : -m) : double.PositiveInfinity, t.Status != "done")).ToList();
        var baseVars = NumericVars(JsonSerializer.SerializeToNode(BaseConfig(), Json.Options)!.AsObject());
        Dictionary<string, JsonNode?>? fallback = null;
        for (int attempt = 0; attempt < 200; attempt++)
        {
            var d = TpeSampler.Suggest(Space, observations, NStartupTrials, NEiCandidates, rng);
            if (Accept(d, baseVars) is not { } ok) continue;
            fallback ??= ok;
            if (!trials.Any(t => Same(new Dictionary<string, JsonNode?>(t.Params.Values), ok))) return new TrialParams(ok);
        }
        return new TrialParams(fallback ?? throw new GptLabException("sweep spec: the constraints rule out every configuration TPE drew"));
    }

    private SweepSpec With(HalvingSchedule schedule) => new()
    {
        Preset = Preset, Data = Data, Method = Method, Metric = Metric, Direction = Direction, Fixed = Fixed, Parameters = Parameters,
        Constraints = Constraints, MaxTrials = MaxTrials, Seed = Seed, Workers = Workers, Schedule = schedule, HeartbeatTimeout = HeartbeatTimeout,
        NStartupTrials = NStartupTrials, NEiCandidates = NEiCandidates, ConstantLiar = ConstantLiar, Pruner = Pruner, TimeObjective = TimeObjective,
        MaxAttempts = MaxAttempts, Source = Source,
    };

    private static HalvingSchedule ScheduleOf(SweepSpecDocument d, int baseIters)
    {
        if (d.Method != SweepMethod.Halving) return HalvingSchedule.Single(d.MaxIters ?? baseIters);
        if (d.Phases is { } phases)
            return new HalvingSchedule(phases.Select(p => new SweepPhase(
                p.MaxIters ?? throw new GptLabException("sweep spec: every phase needs max_iters"), p.Keep, p.KeepFraction)).ToList());
        int min = d.MinIters ?? throw new GptLabException("sweep spec: halving needs phases, or reduction_factor with min_iters and max_iters");
        return HalvingSchedule.FromReduction(d.ReductionFactor ?? 3, min, d.MaxIters ?? baseIters);
    }

    /// <summary>How many configurations a phase keeps out of <paramref name="previous"/>.</summary>
    public int Keep(int phase, int previous) => Schedule.Keep(phase, previous);

    /// <summary>The trials of a finished <paramref name="phase"/> that go on to the next: the best done ones by the
    /// metric (ties: the lower configuration id), as many as the schedule keeps of the phase's size.</summary>
    public IReadOnlyList<Trial> Promoted(int phase, IReadOnlyList<Trial> phaseTrials)
    {
        var done = phaseTrials.Where(t => t.Status == "done" && t.Metric is double m && !double.IsNaN(m))
            .OrderBy(t => Minimize ? t.Metric!.Value : -t.Metric!.Value).ThenBy(t => t.ConfigId);
        return done.Take(Keep(phase + 1, phaseTrials.Count)).ToList();
    }

    /// <summary>The preset and the fixed values, before the swept parameters (lr_decay_iters spans the whole budget).</summary>
    public TrainConfig BaseConfig()
    {
        var layer = (JsonObject)Fixed.DeepClone();
        if (Data != null) layer["dataset"] = Data;
        var config = ConfigResolver.Resolve([ConfigResolver.LoadPreset(Preset), layer], []);
        return config;
    }

    /// <summary>The full config of a trial for a phase: preset → fixed → parameters, trained to the phase's iterations.</summary>
    public TrainConfig TrialConfig(TrialParams p, int phase)
    {
        var layer = (JsonObject)Fixed.DeepClone();
        if (Data != null) layer["dataset"] = Data;
        foreach (var (k, v) in p.Values) layer[k] = v?.DeepClone();
        layer["always_save_checkpoint"] = true;
        layer.Remove("max_iters");
        var preset = ConfigResolver.LoadPreset(Preset);
        var config = ConfigResolver.Resolve([preset, layer], []);
        // one schedule over the whole budget: the learning rate decays over the last phase's iterations
        var explicitKeys = Fixed.Select(kv => kv.Key).Concat(p.Values.Keys).Where(k => k != "max_iters").ToHashSet();
        var presetConfig = ConfigResolver.Resolve([preset], []);
        (config, _) = LrSchedule.FitToIters(presetConfig with { MaxIters = presetConfig.LrDecayIters }, config, Schedule.FinalIters, explicitKeys);
        config = config with { MaxIters = Phases[phase].MaxIters };
        ConfigResolver.Validate(config);
        return config;
    }

    /// <summary>Every trial configuration (grid: the product; random/halving: max_trials samples), constraints applied.</summary>
    public IReadOnlyList<TrialParams> Expand()
    {
        var baseVars = NumericVars(JsonSerializer.SerializeToNode(BaseConfig(), Json.Options)!.AsObject());
        var raw = new List<Dictionary<string, JsonNode?>>();
        var rng = new Random(Seed);
        bool allLists = Parameters.Values.All(v => v is JsonArray);
        if (Method == SweepMethod.Grid || (Method == SweepMethod.Halving && allLists && MaxTrials is null))
        {
            IEnumerable<Dictionary<string, JsonNode?>> acc = [new()];
            foreach (var (name, values) in Parameters)
                acc = acc.SelectMany(d => ((JsonArray)values).Select(v => new Dictionary<string, JsonNode?>(d) { [name] = v?.DeepClone() })).ToList();
            raw.AddRange(acc);
        }
        else
        {
            int n = MaxTrials ?? 20;
            for (int attempt = 0; raw.Count < n && attempt < n * 50; attempt++)
            {
                var d = Parameters.ToDictionary(kv => kv.Key, kv => kv.Value is JsonArray a ? a[rng.Next(a.Count)]?.DeepClone() : SearchDistribution.Parse(kv.Key, (JsonObject)kv.Value).Sample(rng));
                if (Accept(d, baseVars) is { } ok && !raw.Any(r => Same(r, ok))) raw.Add(ok);
            }
            return raw.Select(r => new TrialParams(r)).ToList();
        }
        var result = raw.Select(d => Accept(d, baseVars)).OfType<Dictionary<string, JsonNode?>>().ToList();
        if (MaxTrials is int max) result = result.Take(max).ToList();
        return result.Select(r => new TrialParams(r)).ToList();
    }

    /// <summary>Applies assignments (derived parameters) and returns null when a constraint fails.</summary>
    private Dictionary<string, JsonNode?>? Accept(Dictionary<string, JsonNode?> d, Dictionary<string, double> baseVars)
    {
        var vars = new Dictionary<string, double>(baseVars);
        foreach (var (k, v) in d)
            if (v is JsonValue jv && jv.TryGetValue(out double x)) vars[k] = x;
        foreach (var c in CompiledConstraints)
        {
            if (c.Assigns is string name)
            {
                double value = c.Evaluate(vars);
                vars[name] = value;
                d[name] = Math.Abs(value - Math.Round(value)) < 1e-9 ? JsonValue.Create((long)Math.Round(value)) : JsonValue.Create(value);
            }
            else if (c.Evaluate(vars) == 0) return null;
        }
        return d;
    }

    private IReadOnlyList<Constraint> CompiledConstraints => compiled ??= Constraints.Select(c => Constraint.Parse(c, ConfigResolver.Keys)).ToList();
    private IReadOnlyList<Constraint>? compiled;

    private static bool Same(Dictionary<string, JsonNode?> a, Dictionary<string, JsonNode?> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && JsonNode.DeepEquals(kv.Value, v));

    private static Dictionary<string, double> NumericVars(JsonObject o)
    {
        var vars = new Dictionary<string, double>();
        foreach (var (k, v) in o)
            if (v is JsonValue jv)
            {
                if (jv.TryGetValue(out double d)) vars[k] = d;
                else if (jv.TryGetValue(out bool b)) vars[k] = b ? 1 : 0;
            }
        return vars;
    }

    private static string? Str(JsonObject o, string key) => o[key] is JsonValue v && v.TryGetValue(out string? s) ? s : o[key]?.ToJsonString();

    public static string Format(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
}
