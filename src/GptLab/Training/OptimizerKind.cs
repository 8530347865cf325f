using System.Text.Json.Serialization;

namespace GptLab.Training;

/// <summary>The optimizer (config key <c>optimizer</c>).</summary>
public enum OptimizerKind
{
    [JsonStringEnumMemberName("adamw")] AdamW,   // AdamW with nanoGPT's decay / no-decay groups
    Sgd,                                          // sgd: SGD with momentum
    Muon,                                         // muon: orthogonalized Nesterov momentum for hidden matrices, AdamW for the rest
}
