namespace GptLab.Model;

/// <summary>What a token may attend to (config key <c>attention</c>).</summary>
public enum AttentionKind
{
    Causal,     // causal: every earlier token in the window (nanoGPT)
    Document,   // document: only earlier tokens of its own document — nothing across an end-of-text token; positions restart per document
}
