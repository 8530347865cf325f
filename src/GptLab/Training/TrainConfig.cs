using GptLab.Losses;
using GptLab.Model;

namespace GptLab.Training;

/// <summary>
/// Every knob of a training run, with nanoGPT's names (snake_case in JSON: <c>n_layer</c>, <c>learning_rate</c> …).
/// Resolved once: defaults → preset JSON → <c>--set key=value</c> (<see cref="ConfigResolver"/>), validated, and
/// written into the run directory as config.json.
/// </summary>
public sealed record TrainConfig
{
    // data
    public string Dataset { get; init; } = "data/shakespeare-char";   // a folder made by `gptlab prepare`
    public Batching Batching { get; init; } = Batching.Random; // random windows (nanoGPT) | sequential non-overlapping chunks, in order, per epoch

    // model
    public int NLayer { get; init; } = 12;
    public int NHead { get; init; } = 12;
    public int NEmbd { get; init; } = 768;
    public int BlockSize { get; init; } = 1024;
    public double Dropout { get; init; }               // 0 for pre-training, try 0.1+ for small data
    public bool Bias { get; init; }                    // nanoGPT's train.py default: no biases
    public PosEmbedding PosEmbedding { get; init; } = PosEmbedding.Learned; // learned | rope
    public double RopeTheta { get; init; } = 10000;
    public bool PadVocab { get; init; } = true;        // round the vocab up to a multiple of 64 (faster matmuls)
    public Activation Activation { get; init; } = Activation.Gelu; // gelu (exact, nanoGPT) | gelu_tanh (OpenAI GPT-2) | relu2
    public NormKind Norm { get; init; } = NormKind.LayerNorm; // layernorm | rmsnorm
    public bool QkNorm { get; init; }                  // RMS-normalize queries and keys per head
    public double LogitSoftcap { get; init; }          // c·tanh(logits/c); 0 = off
    public bool ZeroInitProj { get; init; }            // output projections of attention and MLP start at zero
    public bool TieEmbeddings { get; init; } = true;   // lm_head shares wte's weight (nanoGPT); false: its own matrix
    public AttentionKind Attention { get; init; } = AttentionKind.Causal; // causal | document (not across end-of-text)

    // loss
    public LossKind Loss { get; init; } = LossKind.CrossEntropy; // cross_entropy | squentropy | mse | ce_mse
    public double SquentropyWeight { get; init; } = 1;
    public double MseK { get; init; } = 1;
    public double MseM { get; init; } = 1;
    public double MseTargetWeight { get; init; } = 65;

    // optimizer
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.AdamW; // adamw | sgd
    public double LearningRate { get; init; } = 6e-4;  // max learning rate
    public double WeightDecay { get; init; } = 0.1;    // on 2-D weights only (nanoGPT's groups)
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.95;
    public double Momentum { get; init; } = 0.9;       // sgd only
    public double MuonLr { get; init; } = 0.02;        // muon: peak learning rate of the hidden matrices (follows the schedule)
    public double MuonMomentum { get; init; } = 0.95;  // muon: Nesterov momentum
    public Precision MuonDtype { get; init; } = Precision.Float32; // muon: the number format of the Newton–Schulz iteration (bfloat16: as modded-nanogpt)
    public double GradClip { get; init; } = 1.0;       // clip the global gradient norm at this value; 0 = off
    public double EmaDecay { get; init; }              // > 0: evaluate, sample and save an exponential moving average of the weights (e.g. 0.98); 0 = off

    // learning-rate schedule
    public bool DecayLr { get; init; } = true;         // warm-up + decay; false: constant learning_rate
    public LrScheduleKind LrSchedule { get; init; } = LrScheduleKind.Cosine; // cosine (nanoGPT) | wsd (warm-up, stable, decay)
    public double DecayFrac { get; init; } = 0.2;      // wsd: the share of lr_decay_iters spent decaying
    public int WarmupIters { get; init; } = 2000;
    public int LrDecayIters { get; init; } = 600000;   // ~= max_iters per Chinchilla
    public double MinLr { get; init; } = 6e-5;         // ~= learning_rate / 10 per Chinchilla

    // loop
    public int BatchSize { get; init; } = 12;          // micro-batch size
    public int GradientAccumulationSteps { get; init; } = 1; // nanoGPT uses 40 on 8 GPUs; 1 on a CPU
    public int MaxIters { get; init; } = 600000;
    public double Epochs { get; init; }                // > 0: train this many passes over the train split instead of max_iters
    public int EvalInterval { get; init; } = 2000;
    public int EvalIters { get; init; } = 200;
    public int LogInterval { get; init; } = 1;
    public bool EvalOnly { get; init; }                // evaluate once and exit
    public bool AlwaysSaveCheckpoint { get; init; } = true; // write checkpoints/last at every eval
    public InitFrom InitFrom { get; init; } = InitFrom.Scratch; // scratch | resume | a checkpoint folder (fine-tune its weights; e.g. from `gptlab import`)
    public int Seed { get; init; } = 1337;
    public Precision Dtype { get; init; } = Precision.Float32; // float32 | bfloat16 (mixed precision: fp32 master weights)
    public int Threads { get; init; }                  // intra-op threads; 0 = all cores
    public bool DdpOverlap { get; init; } = true;      // under mpirun: reduce gradient buckets while backward runs (PyTorch DDP); false: after it
    public string Device { get; init; } = "cpu";       // cpu | cuda | cuda:N (cuda needs GptLab built with a CUDA libtorch)
    public double PeakFlops { get; init; }             // FLOP/s the MFU is measured against; 0 = measure a matmul once

    // samples written at each eval
    public int SampleTokens { get; init; } = 200;
    public double SampleTemperature { get; init; } = 0.8;
    public int SampleTopK { get; init; } = 200;

    public LossOptions LossOptions => new()
    {
        Kind = Loss,
        SquentropyWeight = SquentropyWeight,
        MseK = MseK,
        MseM = MseM,
        MseTargetWeight = MseTargetWeight,
    };

    public GptConfig ToGptConfig(int dataVocab, int? eos = null) => new()
    {
        BlockSize = BlockSize,
        VocabSize = PadVocab ? GptConfig.PadVocab(dataVocab) : dataVocab,
        NLayer = NLayer,
        NHead = NHead,
        NEmbd = NEmbd,
        Dropout = Dropout,
        Bias = Bias,
        PosEmbedding = PosEmbedding,
        RopeTheta = RopeTheta,
        Activation = Activation,
        Norm = Norm,
        QkNorm = QkNorm,
        LogitSoftcap = LogitSoftcap,
        ZeroInitProj = ZeroInitProj,
        TieEmbeddings = TieEmbeddings,
        Attention = Attention,
        DocumentToken = Attention == AttentionKind.Document ? eos : null,
    };

    /// <summary>This config with the model shape of a checkpoint (init_from a checkpoint folder), as nanoGPT
    /// overrides the model arguments when it starts from GPT-2.</summary>
    public TrainConfig WithModelOf(GptConfig m, int dataVocab) => this with
    {
        NLayer = m.NLayer,
        NHead = m.NHead,
        NEmbd = m.NEmbd,
        BlockSize = m.BlockSize,
        Bias = m.Bias,
        PosEmbedding = m.PosEmbedding,
        RopeTheta = m.RopeTheta,
        Activation = m.Activation,
        Norm = m.Norm,
        QkNorm = m.QkNorm,
        LogitSoftcap = m.LogitSoftcap,
        TieEmbeddings = m.TieEmbeddings,
        Attention = m.Attention,
        PadVocab = m.VocabSize != dataVocab,
    };

    public int EffectiveThreads => Threads > 0 ? Threads : Environment.ProcessorCount;
    public long TokensPerIter => (long)BatchSize * BlockSize * GradientAccumulationSteps;
}
