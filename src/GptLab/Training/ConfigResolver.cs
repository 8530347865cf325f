using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using GptLab.IO;

namespace GptLab.Training;

/// <summary>Builds a <see cref="TrainConfig"/>: defaults → preset → <c>--set key=value</c>, then validates it.</summary>
public static class ConfigResolver
{
    private static readonly JsonSerializerOptions Strict = new(Json.Options)
    {
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>Every config key (snake_case).</summary>
    public static IReadOnlyList<string> Keys { get; } = JsonSerializer.SerializeToNode(new TrainConfig(), Json.Options)!
        .AsObject().Select(kv => kv.Key).ToList();

    /// <summary>Names of the presets shipped in configs/ (embedded in the library).</summary>
    public static IReadOnlyList<string> Presets =>
        typeof(ConfigResolver).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith("GptLab.Configs.", StringComparison.Ordinal))
            .Select(n => n["GptLab.Configs.".Length..^".json".Length]).Order().ToList();

    /// <summary>The preset's JSON: a file path, configs/NAME.json under the working folder, or a built-in preset.</summary>
    public static JsonObject LoadPreset(string nameOrPath)
    {
        string? text = null;
        if (File.Exists(nameOrPath)) text = File.ReadAllText(nameOrPath);
        else if (File.Exists(Path.Combine("configs", nameOrPath + ".json"))) text = File.ReadAllText(Path.Combine("configs", nameOrPath + ".json"));
        else if (File.Exists(Path.Combine(AppContext.BaseDirectory, "configs", nameOrPath + ".json")))
            text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "configs", nameOrPath + ".json"));
        else
        {
            using var s = typeof(ConfigResolver).Assembly.GetManifestResourceStream($"GptLab.Configs.{nameOrPath}.json");
            if (s != null) text = new StreamReader(s).ReadToEnd();
        }
        if (text == null)
            throw new GptLabException($"no preset or config file '{nameOrPath}' (presets: {string.Join(", ", Presets)})");
        if (nameOrPath.EndsWith(".py", StringComparison.OrdinalIgnoreCase)) return NanoGptConfigFile.Parse(nameOrPath, text);   // nanoGPT's config/*.py
        try
        {
            return JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })?.AsObject()
                   ?? throw new GptLabException($"{nameOrPath}: the config is empty");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new GptLabException($"{nameOrPath}: not a JSON object ({e.Message.Split('\n')[0]})");
        }
    }

    /// <summary>The config of a fresh run: a preset or a config file (not both; default
    /// <c>shakespeare-char-cpu</c>), then <c>--set key=value</c> overrides. Returns the config and the name of its source.</summary>
    public static (TrainConfig Config, string Source, string? Note) FromPreset(string? preset, string? configFile, IEnumerable<string> sets)
    {
        if (preset != null && configFile != null) throw new GptLabException("give --preset or --config, not both");
        string source = configFile ?? preset ?? DefaultPreset;
        var layer = LoadPreset(source);
        var list = sets.ToList();
        var config = Resolve([layer], list);
        var explicitKeys = list.Select(KeyOf).ToHashSet();
        string? ignored = layer[NanoGptConfigFile.IgnoredKey]?.GetValue<string>() is string keys ? $"nanoGPT keys GptLab does not use were skipped: {keys}" : null;
        if (!explicitKeys.Contains("max_iters") || config.Epochs > 0) return (config, source, ignored);
        var (fitted, note) = LrSchedule.FitToIters(Resolve([layer], []), config, config.MaxIters, explicitKeys);
        Validate(fitted);
        return (fitted, source, ignored is null ? note : $"{ignored}; {note}");
    }

    public const string DefaultPreset = "shakespeare-char-cpu";

    /// <summary>Applies layers of overrides, in order, onto the defaults (or onto <paramref name="baseConfig"/>).</summary>
    public static TrainConfig Resolve(IEnumerable<JsonObject> layers, IEnumerable<string> sets, TrainConfig? baseConfig = null)
    {
        var node = JsonSerializer.SerializeToNode(baseConfig ?? new TrainConfig(), Json.Options)!.AsObject();
        foreach (var layer in layers)
            foreach (var (key, value) in layer)
            {
                if (key.StartsWith('_')) continue;   // "_comment" keys in presets
                CheckKey(key);
                node[key] = value?.DeepClone();
            }
        foreach (var set in sets)
        {
            int eq = set.IndexOf('=');
            if (eq <= 0) throw new GptLabException($"--set expects key=value, got '{set}'");
            string key = KeyOf(set);
            CheckKey(key);
            node[key] = ParseValue(key, set[(eq + 1)..].Trim(), node[key]);
        }
        JsonRecord.CheckChoices(node, typeof(TrainConfig), "config");
        TrainConfig config;
        try { config = node.Deserialize<TrainConfig>(Strict)!; }
        catch (JsonException e)
        {
            string key = e.Path?.TrimStart('$', '.') ?? "?";
            throw new GptLabException($"config key '{key}' has a value of the wrong type ({node[key]?.ToJsonString()})");
        }
        Validate(config);
        return config;
    }

    /// <summary>The config key of a <c>--set key=value</c> (dashes read as underscores).</summary>
    public static string KeyOf(string set) => set.Split('=')[0].Trim().Replace('-', '_');

    private static void CheckKey(string key)
    {
        if (Keys.Contains(key)) return;
        string? near = Keys.OrderBy(k => Distance(k, key)).FirstOrDefault();
        throw new GptLabException($"unknown config key '{key}'{(near != null && Distance(near, key) <= 3 ? $" — did you mean '{near}'?" : "")} (see README for every key)");
    }

    private static JsonNode? ParseValue(string key, string raw, JsonNode? current)
    {
        if (current is JsonValue v && v.GetValueKind() == JsonValueKind.String) return JsonValue.Create(raw);
        if (bool.TryParse(raw, out bool b)) return JsonValue.Create(b);
        if (long.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out long l)) return JsonValue.Create(l);
        if (double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out double d)) return JsonValue.Create(d);
        throw new GptLabException($"config key '{key}' needs a {(current is JsonValue cv ? cv.GetValueKind().ToString().ToLowerInvariant() : "value")}, got '{raw}'");
    }

    public static void Validate(TrainConfig c)
    {
        void Require(bool ok, string key, string what) { if (!ok) throw new GptLabException($"config key '{key}': {what}"); }
        Require(c.NLayer >= 1, "n_layer", $"must be ≥ 1, got {c.NLayer}");
        Require(c.NHead >= 1, "n_head", $"must be ≥ 1, got {c.NHead}");
        Require(c.NEmbd >= 1 && c.NEmbd % c.NHead == 0, "n_embd", $"must be a positive multiple of n_head ({c.NHead}), got {c.NEmbd}");
        Require(c.BlockSize >= 1, "block_size", $"must be ≥ 1, got {c.BlockSize}");
        Require(c.Dropout is >= 0 and < 1, "dropout", $"must be in [0, 1), got {c.Dropout}");
        Require(c.PosEmbedding != Model.PosEmbedding.Rope || (c.NEmbd / c.NHead) % 2 == 0, "pos_embedding", "rope needs an even head size (n_embd / n_head)");
        Require(c.LearningRate > 0 && double.IsFinite(c.LearningRate), "learning_rate", $"must be > 0, got {c.LearningRate}");
        Require(c.MinLr >= 0, "min_lr", $"must be ≥ 0, got {c.MinLr}");
        Require(c.WeightDecay >= 0, "weight_decay", $"must be ≥ 0, got {c.WeightDecay}");
        Require(c.Beta1 is >= 0 and < 1, "beta1", $"must be in [0, 1), got {c.Beta1}");
        Require(c.Beta2 is >= 0 and < 1, "beta2", $"must be in [0, 1), got {c.Beta2}");
        Require(c.GradClip >= 0, "grad_clip", $"must be ≥ 0 (0 = off), got {c.GradClip}");
        Require(c.WarmupIters >= 0, "warmup_iters", $"must be ≥ 0, got {c.WarmupIters}");
        Require(!c.DecayLr || c.LrDecayIters >= c.WarmupIters, "lr_decay_iters", $"must be ≥ warmup_iters ({c.WarmupIters}), got {c.LrDecayIters}");
        Require(c.BatchSize >= 1, "batch_size", $"must be ≥ 1, got {c.BatchSize}");
        Require(c.GradientAccumulationSteps >= 1, "gradient_accumulation_steps", $"must be ≥ 1, got {c.GradientAccumulationSteps}");
        Require(c.MaxIters >= 0, "max_iters", $"must be ≥ 0, got {c.MaxIters}");
        Require(c.Epochs >= 0, "epochs", $"must be ≥ 0, got {c.Epochs}");
        Require(c.EvalInterval >= 1, "eval_interval", $"must be ≥ 1, got {c.EvalInterval}");
        Require(c.EvalIters >= 1, "eval_iters", $"must be ≥ 1, got {c.EvalIters}");
        Require(c.LogInterval >= 1, "log_interval", $"must be ≥ 1, got {c.LogInterval}");
        Require(c.InitFrom.CheckpointDir is not string dir || Directory.Exists(dir), "init_from", $"must be scratch, resume or a checkpoint folder, got '{c.InitFrom}'");
        Require(c.LogitSoftcap >= 0, "logit_softcap", $"must be ≥ 0 (0 = off), got {c.LogitSoftcap}");
        Require(c.MuonLr > 0 && double.IsFinite(c.MuonLr), "muon_lr", $"must be > 0, got {c.MuonLr}");
        Require(c.MuonMomentum is >= 0 and < 1, "muon_momentum", $"must be in [0, 1), got {c.MuonMomentum}");
        Require(c.DecayFrac is > 0 and <= 1, "decay_frac", $"must be in (0, 1], got {c.DecayFrac}");
        Require(c.EmaDecay is >= 0 and < 1, "ema_decay", $"must be in [0, 1) (0 = off), got {c.EmaDecay}");
        Require(c.Threads >= 0, "threads", $"must be ≥ 0 (0 = all cores), got {c.Threads}");
        Require(System.Text.RegularExpressions.Regex.IsMatch(c.Device, @"^(cpu|cuda(:\d+)?)$"), "device", $"must be cpu, cuda or cuda:N, got '{c.Device}'");
        Require(c.SampleTokens >= 0, "sample_tokens", $"must be ≥ 0, got {c.SampleTokens}");
        Require(c.SampleTemperature >= 0, "sample_temperature", $"must be ≥ 0, got {c.SampleTemperature}");
    }

    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
            for (int j = 1; j <= b.Length; j++)
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
        return d[a.Length, b.Length];
    }

    public static string Format(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
