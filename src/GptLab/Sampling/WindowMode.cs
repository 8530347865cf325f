namespace GptLab.Sampling;

/// <summary>What the model sees once the text outgrows block_size (<c>--window</c>).</summary>
public enum WindowMode
{
    /// <summary>slide: nanoGPT's crop — each new token re-runs the last block_size tokens from scratch. Exact, and
    /// slow past the block: a full forward per token.</summary>
    Slide,

    /// <summary>jump: when the cache is full, keep the last <c>keep</c> tokens (block_size / 2 by default), re-encode
    /// them once at positions 0…keep−1 and continue with the cache: about two cached steps a token, any model. The
    /// context shrinks to <c>keep</c> at each jump and grows back to block_size.</summary>
    Jump,

    /// <summary>rolling: RoPE models only — keep the cached keys and values of the last block_size tokens and evict
    /// the oldest; positions keep growing, and attention depends on relative positions only, as in training. Unlike
    /// slide, the cached states keep the context they were computed with (tokens evicted from the window still
    /// shaped them), as in sliding-window attention. One cached step a token.</summary>
    Rolling,
}
