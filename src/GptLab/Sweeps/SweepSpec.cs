using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using GptLab.IO;
using GptLab.Training;

namespace GptLab.Sweeps;

/// <summary>One phase of successive halving: how many configurations go on, and how long they train in total.</summary>
public sealed record SweepPhase(int Keep, int MaxIters);

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
/// (grid | random | halving), the metric. Read from JSON or YAML; checked completely before anything runs.
/// </summary>
public sealed class SweepSpec
{
    private static readonly string[] Allowed =
    [
        "preset", "data", "method", "metric", "direction", "fixed", "parameters", "constraints", "max_trials", "seed", "workers",
        "phases", "reduction_factor", "min_iters", "max_iters", "heartbeat_timeout", "max_attempts",
    ];

    public string Preset { get; private init; } = "shakespeare-char-cpu";
    public string? Data { get; private init; }
    public string Method { get; private init; } = "grid";
    public string Metric { get; private init; } = "val_loss";
    public string Direction { get; private init; } = "minimize";
    public JsonObject Fixed { get; private init; } = [];
    public IReadOnlyDictionary<string, JsonNode> Parameters { get; private init; } = new Dictionary<string, JsonNode>();
    public IReadOnlyList<string> Constraints { get; private init; } = [];
    public int? MaxTrials { get; private init; }
    public int Seed { get; private init; }
    public int Workers { get; private init; } = 1;
    public IReadOnlyList<SweepPhase> Phases { get; private init; } = [];
    public double HeartbeatTimeout { get; private init; } = 60;
    public int MaxAttempts { get; private init; } = 3;
    public JsonObject Source { get; private init; } = [];

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
        foreach (var (key, _) in o)
            if (!Allowed.Contains(key)) throw new GptLabException($"sweep spec: unknown key '{key}' (allowed: {string.Join(", ", Allowed)})");
        string method = Str(o, "method") ?? "grid";
        if (method is not ("grid" or "random" or "halving")) throw new GptLabException($"sweep spec: method must be grid, random or halving, got '{method}'");
        string metric = Str(o, "metric") ?? "val_loss";
        if (metric is not ("val_loss" or "perplexity" or "nats_per_char")) throw new GptLabException($"sweep spec: metric must be val_loss, perplexity or nats_per_char, got '{metric}'");
        string direction = Str(o, "direction") ?? "minimize";
        if (direction is not ("minimize" or "maximize")) throw new GptLabException($"sweep spec: direction must be minimize or maximize, got '{direction}'");
        var parameters = (o["parameters"] as JsonObject ?? throw new GptLabException("sweep spec: 'parameters' must be an object of name: values"))
            .ToDictionary(kv => kv.Key, kv => kv.Value ?? throw new GptLabException($"sweep spec: parameter '{kv.Key}' has no values"));
        if (parameters.Count == 0) throw new GptLabException("sweep spec: 'parameters' is empty");
        foreach (var (name, values) in parameters)
        {
            if (!ConfigResolver.Keys.Contains(name)) throw new GptLabException($"sweep spec: '{name}' is not a config key");
            if (values is JsonArray a && a.Count == 0) throw new GptLabException($"sweep spec: parameter '{name}' has an empty list");
            if (values is JsonObject d) Distribution.Parse(name, d);
            else if (values is not JsonArray) throw new GptLabException($"sweep spec: parameter '{name}' needs a list of values or a distribution");
            if (method == "grid" && values is not JsonArray) throw new GptLabException($"sweep spec: grid needs lists; '{name}' is a distribution (use method random)");
        }
        var fixedValues = o["fixed"] as JsonObject ?? [];
        foreach (var (k, _) in fixedValues)
            if (!ConfigResolver.Keys.Contains(k)) throw new GptLabException($"sweep spec: fixed key '{k}' is not a config key");
        int? maxTrials = o["max_trials"]?.GetValue<int>();
        if (method == "random" && maxTrials is null) throw new GptLabException("sweep spec: method random needs max_trials");
        var spec = new SweepSpec
        {
            Preset = Str(o, "preset") ?? "shakespeare-char-cpu",
            Data = Str(o, "data"),
            Method = method,
            Metric = metric,
            Direction = direction,
            Fixed = fixedValues,
            Parameters = parameters,
            Constraints = (o["constraints"] as JsonArray ?? []).Select(c => c!.GetValue<string>()).ToList(),
            MaxTrials = maxTrials,
            Seed = o["seed"]?.GetValue<int>() ?? 0,
            Workers = o["workers"]?.GetValue<int>() ?? 1,
            HeartbeatTimeout = o["heartbeat_timeout"]?.GetValue<double>() ?? 60,
            MaxAttempts = o["max_attempts"]?.GetValue<int>() ?? 3,
            Source = (JsonObject)o.DeepClone(),
        };
        var baseConfig = spec.BaseConfig();   // validates preset, data and fixed keys
        var phases = ParsePhases(o, method, baseConfig.MaxIters);
        spec = spec.WithPhases(phases);
        if (spec.Expand().Count == 0) throw new GptLabException("sweep spec: the constraints rule out every configuration");
        return spec;
    }

    private SweepSpec WithPhases(IReadOnlyList<SweepPhase> phases) => new()
    {
        Preset = Preset, Data = Data, Method = Method, Metric = Metric, Direction = Direction, Fixed = Fixed, Parameters = Parameters,
        Constraints = Constraints, MaxTrials = MaxTrials, Seed = Seed, Workers = Workers, Phases = phases, HeartbeatTimeout = HeartbeatTimeout,
        MaxAttempts = MaxAttempts, Source = Source,
    };

    private static IReadOnlyList<SweepPhase> ParsePhases(JsonObject o, string method, int baseIters)
    {
        if (method != "halving") return [new SweepPhase(int.MaxValue, o["max_iters"]?.GetValue<int>() ?? baseIters)];
        if (o["phases"] is JsonArray arr)
        {
            var list = new List<SweepPhase>();
            foreach (var p in arr.OfType<JsonObject>())
            {
                int iters = p["max_iters"]?.GetValue<int>() ?? throw new GptLabException("sweep spec: every phase needs max_iters");
                int keep = p["keep"]?.GetValue<int>() ?? int.MaxValue;
                double? frac = p["keep_fraction"]?.GetValue<double>();
                if (frac is double f) keep = -(int)Math.Round(f * 1_000_000);   // a fraction, resolved when the phase starts
                if (list.Count > 0 && iters <= list[^1].MaxIters) throw new GptLabException("sweep spec: phases must train longer and longer (max_iters increasing)");
                list.Add(new SweepPhase(keep, iters));
            }
            if (list.Count == 0) throw new GptLabException("sweep spec: halving needs phases");
            return list;
        }
        double eta = o["reduction_factor"]?.GetValue<double>() ?? 3;
        int min = o["min_iters"]?.GetValue<int>() ?? throw new GptLabException("sweep spec: halving needs phases, or reduction_factor with min_iters and max_iters");
        int max = o["max_iters"]?.GetValue<int>() ?? baseIters;
        if (eta <= 1 || min < 1 || max < min) throw new GptLabException("sweep spec: halving needs reduction_factor > 1 and 1 ≤ min_iters ≤ max_iters");
        var phases = new List<SweepPhase>();
        for (int k = 0; ; k++)
        {
            int iters = (int)Math.Min(max, Math.Round(min * Math.Pow(eta, k)));
            phases.Add(new SweepPhase(k == 0 ? int.MaxValue : -(int)Math.Round(1_000_000 / eta), iters));
            if (iters >= max) break;
        }
        return phases;
    }

    /// <summary>How many configurations a phase keeps out of <paramref name="previous"/>.</summary>
    public int Keep(int phase, int previous)
    {
        int k = Phases[phase].Keep;
        if (k == int.MaxValue) return previous;
        if (k < 0) return Math.Max(1, (int)Math.Ceiling(previous * (-k / 1_000_000.0)));
        return Math.Min(k, previous);
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
        int finalIters = Phases[^1].MaxIters;
        layer["max_iters"] = Phases[phase].MaxIters;
        if (!Fixed.ContainsKey("lr_decay_iters") && !p.Values.ContainsKey("lr_decay_iters")) layer["lr_decay_iters"] = finalIters;
        layer["always_save_checkpoint"] = true;
        return ConfigResolver.Resolve([ConfigResolver.LoadPreset(Preset), layer], []);
    }

    /// <summary>Every trial configuration (grid: the product; random/halving: max_trials samples), constraints applied.</summary>
    public IReadOnlyList<TrialParams> Expand()
    {
        var baseVars = NumericVars(JsonSerializer.SerializeToNode(BaseConfig(), Json.Options)!.AsObject());
        var raw = new List<Dictionary<string, JsonNode?>>();
        var rng = new Random(Seed);
        bool allLists = Parameters.Values.All(v => v is JsonArray);
        if (Method == "grid" || (Method == "halving" && allLists && MaxTrials is null))
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
                var d = Parameters.ToDictionary(kv => kv.Key, kv => kv.Value is JsonArray a ? a[rng.Next(a.Count)]?.DeepClone() : Distribution.Parse(kv.Key, (JsonObject)kv.Value).Sample(rng));
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
        foreach (string c in Constraints)
        {
            if (Expr.AsAssignment(c) is var (name, expr))
            {
                if (!ConfigResolver.Keys.Contains(name)) throw new GptLabException($"constraint '{c}': '{name}' is not a config key");
                double value = Expr.Evaluate(expr, vars);
                vars[name] = value;
                d[name] = Math.Abs(value - Math.Round(value)) < 1e-9 ? JsonValue.Create((long)Math.Round(value)) : JsonValue.Create(value);
            }
            else if (Expr.Evaluate(c, vars) == 0) return null;
        }
        return d;
    }

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

    /// <summary>A sampling distribution: {"uniform": [a, b]}, {"log_uniform": [a, b]}, {"int": [a, b]}, {"choice": [...]}.</summary>
    private sealed record Distribution(string Kind, double Low, double High, JsonArray? Choices)
    {
        public static Distribution Parse(string name, JsonObject d)
        {
            if (d.Count != 1) throw new GptLabException($"sweep spec: parameter '{name}' needs one of uniform, log_uniform, int, choice");
            var (kind, node) = d.First();
            if (kind == "choice")
                return node is JsonArray { Count: > 0 } c ? new Distribution(kind, 0, 0, c) : throw new GptLabException($"sweep spec: '{name}': choice needs a non-empty list");
            if (kind is not ("uniform" or "log_uniform" or "int")) throw new GptLabException($"sweep spec: '{name}': unknown distribution '{kind}' (uniform, log_uniform, int, choice)");
            if (node is not JsonArray { Count: 2 } r) throw new GptLabException($"sweep spec: '{name}': {kind} needs [low, high]");
            double lo = r[0]!.GetValue<double>(), hi = r[1]!.GetValue<double>();
            if (!(hi >= lo) || (kind == "log_uniform" && lo <= 0)) throw new GptLabException($"sweep spec: '{name}': {kind} needs 0 < low ≤ high (log) or low ≤ high");
            return new Distribution(kind, lo, hi, null);
        }

        public JsonNode? Sample(Random rng) => Kind switch
        {
            "choice" => Choices![rng.Next(Choices.Count)]?.DeepClone(),
            "int" => JsonValue.Create((long)Math.Floor(Low + rng.NextDouble() * (High - Low + 1))),
            "log_uniform" => JsonValue.Create(Math.Exp(Math.Log(Low) + rng.NextDouble() * (Math.Log(High) - Math.Log(Low)))),
            _ => JsonValue.Create(Low + rng.NextDouble() * (High - Low)),
        };
    }

    public static string Format(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
}
