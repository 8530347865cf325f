using System.Text.Json;
using System.Text.Json.Serialization;

namespace GptLab.Training;

/// <summary>
/// Where a run's weights start (config key <c>init_from</c>, nanoGPT's): <c>scratch</c>, <c>resume</c> (continue the
/// run in the output folder), or a checkpoint folder to fine-tune (e.g. made by <c>gptlab import</c>).
/// </summary>
[JsonConverter(typeof(InitFromJsonConverter))]
public sealed record InitFrom
{
    private InitFrom(string text) => Text = text;

    public static InitFrom Scratch { get; } = new("scratch");
    public static InitFrom Resume { get; } = new("resume");
    public static InitFrom Checkpoint(string dir) => new(dir);

    /// <summary>The value as written in config files.</summary>
    public string Text { get; }

    public bool IsScratch => Text == "scratch";
    public bool IsResume => Text == "resume";

    /// <summary>The checkpoint folder to fine-tune, or null for scratch / resume.</summary>
    public string? CheckpointDir => IsScratch || IsResume ? null : Text;

    public static InitFrom Parse(string text) => text switch
    {
        "scratch" => Scratch,
        "resume" => Resume,
        _ => Checkpoint(text),
    };

    public override string ToString() => Text;
}

/// <summary>Writes <see cref="InitFrom"/> as the plain string nanoGPT's configs hold.</summary>
internal sealed class InitFromJsonConverter : JsonConverter<InitFrom>
{
    public override InitFrom Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String
            ? InitFrom.Parse(reader.GetString()!)
            : throw new JsonException("must be scratch, resume or a checkpoint folder");

    public override void Write(Utf8JsonWriter writer, InitFrom value, JsonSerializerOptions options) => writer.WriteStringValue(value.Text);
}
