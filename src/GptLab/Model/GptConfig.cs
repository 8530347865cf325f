namespace GptLab.Model;

/// <summary>The shape of a GPT, as nanoGPT's GPTConfig.</summary>
public sealed record GptConfig
{
    public int BlockSize { get; init; } = 1024;       // the longest context the model sees
    public int VocabSize { get; init; } = 50304;      // GPT-2's 50257 padded to a multiple of 64
    public int NLayer { get; init; } = 12;
    public int NHead { get; init; } = 12;
    public int NEmbd { get; init; } = 768;
    public double Dropout { get; init; }              // 0 for pre-training; 0.1+ for fine-tuning / small data
    public bool Bias { get; init; } = true;           // biases in Linear and LayerNorm, as GPT-2; false: a bit better and faster
    public PosEmbedding PosEmbedding { get; init; } = PosEmbedding.Learned; // learned (GPT-2's wpe) | rope (rotary, no wpe)
    public double RopeTheta { get; init; } = 10000;   // rotary base
    public Activation Activation { get; init; } = Activation.Gelu; // gelu (exact, nanoGPT) | gelu_tanh (OpenAI GPT-2's "gelu_new")

    public NormKind Norm { get; init; } = NormKind.LayerNorm; // layernorm (GPT-2) | rmsnorm
    public bool QkNorm { get; init; }                 // RMS-normalize queries and keys per head before attention
    public double LogitSoftcap { get; init; }         // logits → c·tanh(logits / c); 0 = off
    public bool ZeroInitProj { get; init; }           // attention and MLP output projections start at zero
    public bool TieEmbeddings { get; init; } = true;  // lm_head shares wte's weight (GPT-2); false: a separate output matrix
    public AttentionKind Attention { get; init; }      // causal | document (no attention across DocumentToken)
    public int? DocumentToken { get; init; }          // the end-of-text id that separates documents (attention: document)

    public int HeadSize => NEmbd / NHead;

    public static int PadVocab(int vocab, int multiple = 64) => (vocab + multiple - 1) / multiple * multiple;
}
