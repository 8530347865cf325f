using System.Text.Json.Serialization;

namespace GptLab.Model;

/// <summary>The normalization before attention, MLP and the head (config key <c>norm</c>).</summary>
public enum NormKind
{
    [JsonStringEnumMemberName("layernorm")] LayerNorm,   // layernorm: GPT-2's (mean and variance, gain, optional bias)
    [JsonStringEnumMemberName("rmsnorm")] RmsNorm,       // rmsnorm: root-mean-square only, gain, no bias (Llama, modded-nanogpt)
}
