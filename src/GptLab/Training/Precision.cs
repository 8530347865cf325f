using System.Text.Json.Serialization;

namespace GptLab.Training;

/// <summary>The number format of the matmuls (config key <c>dtype</c>).</summary>
public enum Precision
{
    Float32,                                           // float32
    [JsonStringEnumMemberName("bfloat16")] BFloat16,   // bfloat16: mixed precision, fp32 master weights
}
