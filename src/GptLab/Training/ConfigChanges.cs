using System.Text.Json;
using System.Text.Json.Nodes;
using GptLab.IO;
using GptLab.Runs;

namespace GptLab.Training;

/// <summary>A run's config against the preset it started from (or the defaults): what `gptlab runs show` and the
/// dashboard highlight.</summary>
public sealed record ConfigChanges(string? Preset, JsonObject Config, IReadOnlyList<ConfigChange> Changes)
{
    public static ConfigChanges Of(RunDirectory run)
    {
        var config = JsonNode.Parse(File.ReadAllText(run.ConfigPath))?.AsObject() ?? throw new GptLabException($"{run.ConfigPath} is empty");
        string presetFile = Path.Combine(run.Path, "preset.json");
        string? preset = null;
        try { if (File.Exists(presetFile)) preset = JsonNode.Parse(File.ReadAllText(presetFile))?["preset"]?.GetValue<string>(); }
        catch (JsonException) { }
        catch (InvalidOperationException) { }
        JsonObject baseline;
        try
        {
            baseline = JsonSerializer.SerializeToNode(string.IsNullOrEmpty(preset) ? new TrainConfig() : ConfigResolver.Resolve([ConfigResolver.LoadPreset(preset)], []), Json.Options)!.AsObject();
        }
        catch (GptLabException)
        {
            baseline = JsonSerializer.SerializeToNode(new TrainConfig(), Json.Options)!.AsObject();
            preset = null;
        }
        var changes = RunSummary.Diff(baseline, config).Select(d => new ConfigChange(d.Key, d.Base, d.Value)).ToList();
        return new ConfigChanges(string.IsNullOrEmpty(preset) ? null : preset, config, changes);
    }
}

/// <summary>One key whose value differs from the preset's (values as JSON text; null = absent).</summary>
public sealed record ConfigChange(string Key, string? Preset, string? Value);
