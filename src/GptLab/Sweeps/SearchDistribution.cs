using System.Text.Json.Nodes;

namespace GptLab.Sweeps;

/// <summary>A parameter's search space: {"uniform": [a, b]}, {"log_uniform": [a, b]}, {"int": [a, b]}, {"choice": [...]};
/// a plain list of values is a choice.</summary>
internal sealed record SearchDistribution(string Kind, double Low, double High, JsonArray? Choices)
{
    public bool IsChoice => Kind == "choice";
    public bool IsLog => Kind == "log_uniform";
    public bool IsInt => Kind == "int";

    public static SearchDistribution Of(string name, JsonNode values) =>
        values is JsonArray list ? new SearchDistribution("choice", 0, 0, list) : Parse(name, (JsonObject)values);

    public static SearchDistribution Parse(string name, JsonObject d)
    {
        if (d.Count != 1) throw new GptLabException($"sweep spec: parameter '{name}' needs one of uniform, log_uniform, int, choice");
        var (kind, node) = d.First();
        if (kind == "choice")
            return node is JsonArray { Count: > 0 } c ? new SearchDistribution(kind, 0, 0, c) : throw new GptLabException($"sweep spec: '{name}': choice needs a non-empty list");
        if (kind is not ("uniform" or "log_uniform" or "int")) throw new GptLabException($"sweep spec: '{name}': unknown distribution '{kind}' (uniform, log_uniform, int, choice)");
        if (node is not JsonArray { Count: 2 } r) throw new GptLabException($"sweep spec: '{name}': {kind} needs [low, high]");
        double lo = r[0]!.GetValue<double>(), hi = r[1]!.GetValue<double>();
        if (!(hi >= lo) || (kind == "log_uniform" && lo <= 0)) throw new GptLabException($"sweep spec: '{name}': {kind} needs 0 < low ≤ high (log) or low ≤ high");
        return new SearchDistribution(kind, lo, hi, null);
    }

    public JsonNode? Sample(Random rng) => Kind switch
    {
        "choice" => Choices![rng.Next(Choices.Count)]?.DeepClone(),
        "int" => JsonValue.Create((long)Math.Floor(Low + rng.NextDouble() * (High - Low + 1))),
        "log_uniform" => JsonValue.Create(Math.Exp(Math.Log(Low) + rng.NextDouble() * (Math.Log(High) - Math.Log(Low)))),
        _ => JsonValue.Create(Low + rng.NextDouble() * (High - Low)),
    };

    /// <summary>The continuous range a numeric parameter is modelled on: log for log-uniform, ±0.5 around an int range.</summary>
    public (double Low, double High) Internal => Kind switch
    {
        "log_uniform" => (Math.Log(Low), Math.Log(High)),
        "int" => (Low - 0.5, High + 0.5),
        _ => (Low, High),
    };

    /// <summary>A value on the internal scale (null when it is not a number, or not in a choice's list).</summary>
    public double? ToInternal(JsonNode? v)
    {
        if (IsChoice) { int i = IndexOf(v); return i < 0 ? null : i; }
        if (v is not JsonValue jv || !jv.TryGetValue(out double x) || !double.IsFinite(x)) return null;
        return IsLog ? (x > 0 ? Math.Log(x) : null) : x;
    }

    public JsonNode? FromInternal(double x) => Kind switch
    {
        "choice" => Choices![(int)x]?.DeepClone(),
        "int" => JsonValue.Create((long)Math.Clamp(Math.Round(x), Low, High)),
        "log_uniform" => JsonValue.Create(Math.Clamp(Math.Exp(x), Low, High)),
        _ => JsonValue.Create(Math.Clamp(x, Low, High)),
    };

    public int IndexOf(JsonNode? v)
    {
        for (int i = 0; i < Choices!.Count; i++) if (JsonNode.DeepEquals(Choices[i], v)) return i;
        return -1;
    }
}
