using System.Text.Json.Serialization;
using static TorchSharp.torch;

namespace GptLab.Training;

/// <summary>The number format of the matmuls (config key <c>dtype</c>).</summary>
public enum Precision
{
    Float32,                                           // float32
    [JsonStringEnumMemberName("bfloat16")] BFloat16,   // bfloat16: mixed precision, fp32 master weights
    [JsonStringEnumMemberName("float16")] Float16,     // float16: mixed precision with dynamic loss scaling (nanoGPT's GradScaler)
}

/// <summary>What a <see cref="Precision"/> means to the model.</summary>
public static class PrecisionExtensions
{
    /// <summary>The dtype matmuls and attention run in, or null for plain fp32.</summary>
    public static ScalarType? Autocast(this Precision p) => p switch
    {
        Precision.BFloat16 => ScalarType.BFloat16,
        Precision.Float16 => ScalarType.Float16,
        _ => null,
    };

    /// <summary>The dtype the MFU's peak is measured in.</summary>
    public static ScalarType PeakDtype(this Precision p) => p.Autocast() ?? ScalarType.Float32;
}
