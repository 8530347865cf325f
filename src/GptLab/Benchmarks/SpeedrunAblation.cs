using System.Text.Json;
using System.Text.Json.Nodes;
using GptLab.IO;
using GptLab.Training;

namespace GptLab.Benchmarks;

/// <summary>
/// One speedrun option switched back to nanoGPT's behaviour — its default in <see cref="TrainConfig"/>, which keeps
/// nanoGPT parity — for `gptlab bench speedrun --ablate`: what each option of a config buys.
/// </summary>
public sealed record SpeedrunAblation(string Key, string Value, string Default)
{
    /// <summary>The options the speedrun brings over nanoGPT (dropout and the sizes are the recipe, not options).</summary>
    public static IReadOnlyList<string> OptionKeys { get; } =
        ["optimizer", "muon_dtype", "norm", "qk_norm", "activation", "pos_embedding", "tie_embeddings", "zero_init_proj", "logit_softcap", "lr_schedule", "ema_decay", "attention", "batching", "dtype"];

    /// <summary>The <c>--set</c> that switches this option back.</summary>
    public string Set => $"{Key}={Default}";

    /// <summary>An ablation for every option whose value in <paramref name="config"/> is not nanoGPT's.</summary>
    public static IReadOnlyList<SpeedrunAblation> Of(TrainConfig config)
    {
        var values = JsonSerializer.SerializeToNode(config, Json.Options)!.AsObject();
        var defaults = JsonSerializer.SerializeToNode(new TrainConfig(), Json.Options)!.AsObject();
        return OptionKeys.Where(k => !JsonNode.DeepEquals(values[k], defaults[k]))
            .Select(k => new SpeedrunAblation(k, Text(values[k]), Text(defaults[k]))).ToList();
    }

    private static string Text(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : node?.ToJsonString() ?? "null";
}
