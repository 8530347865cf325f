namespace GptLab.Model;

/// <summary>How the model knows where a token is (config key <c>pos_embedding</c>).</summary>
public enum PosEmbedding
{
    Learned,   // learned: GPT-2's wpe table
    Rope,      // rope: rotary embeddings on queries and keys, no wpe
}
