namespace GptLab.Model;

/// <summary>The MLP's nonlinearity (config key <c>activation</c>).</summary>
public enum Activation
{
    Gelu,       // gelu: exact erf GELU, as nanoGPT
    GeluTanh,   // gelu_tanh: the tanh approximation, OpenAI GPT-2's "gelu_new"
    [System.Text.Json.Serialization.JsonStringEnumMemberName("relu2")] Relu2,   // relu2: ReLU², modded-nanogpt's
}
