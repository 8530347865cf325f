using System.Text.Json.Serialization;

namespace GptLab.Export;

/// <summary>How an export stores its weight matrices (<c>--quantize</c>).</summary>
public enum Quantization
{
    [JsonStringEnumMemberName("none")] None,   // none: fp32
    [JsonStringEnumMemberName("int8")] Int8,   // int8: weight-only, per output channel, symmetric (scale = max|w| / 127)
}
