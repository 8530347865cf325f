using System.Text.Json;
using System.Text.Json.Serialization;
using GptLab.IO;

namespace GptLab.Server;

/// <summary>The API's JSON: the files' snake_case names; NaN and infinities as null (JavaScript's JSON has none).</summary>
internal static class WebJson
{
    public static readonly JsonSerializerOptions Options = new(Json.Line)
    {
        NumberHandling = JsonNumberHandling.Strict,
        Converters = { new FiniteDouble() },
    };

    private sealed class FiniteDouble : JsonConverter<double>
    {
        public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.Null ? double.NaN : reader.GetDouble();

        public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
        {
            if (double.IsFinite(value)) writer.WriteNumberValue(value);
            else writer.WriteNullValue();
        }
    }
}
