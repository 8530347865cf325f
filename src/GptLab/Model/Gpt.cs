using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace GptLab.Model;

/// <summary>
/// GPT-2 as nanoGPT's model.py: token (+ learned position) embeddings, pre-LayerNorm blocks of causal
/// self-attention and a 4× GELU MLP, a final LayerNorm, and an lm_head tied to wte (tie_embeddings: false gives it
/// its own weight). Parameter names are
/// GPT-2's (<c>transformer.h.0.attn.c_attn.weight</c> …). The tied lm_head is computed from wte's weight, so the
/// weight is one parameter (listed, updated and clipped once).
/// Notation: B batch, T time, C channels (n_embd), V vocab, nh heads, hs head size.
/// </summary>
public sealed class Gpt : nn.Module<Tensor, Tensor>
{
    private readonly Transformer transformer;
    private readonly Linear? lm_head;   // only when tie_embeddings is false; else the logits use wte's weight

    public Gpt(GptConfig config) : base(nameof(Gpt))
    {
        if (config.NEmbd % config.NHead != 0) throw new GptLabException($"n_embd ({config.NEmbd}) must be divisible by n_head ({config.NHead})");
        if (config.PosEmbedding == PosEmbedding.Rope && config.HeadSize % 2 != 0) throw new GptLabException($"rope needs an even head size (n_embd / n_head = {config.HeadSize})");
        Config = config;
        transformer = new Transformer(config);
        if (!config.TieEmbeddings) lm_head = nn.Linear(config.NEmbd, config.VocabSize, hasBias: false);
        RegisterComponents();
        InitWeights();
    }

    public GptConfig Config { get; }

    /// <summary>Where the weights are; the inputs of a forward must be there too.</summary>
    public Device Device => transformer.wte.weight!.device;

    /// <summary>When set (bfloat16), matmuls and attention run in that dtype on fp32 master weights — mixed
    /// precision written by hand, since TorchSharp has no autocast.</summary>
    public ScalarType? Autocast
    {
        get => transformer.Ctx.Autocast;
        set => transformer.Ctx.Autocast = value;
    }

    /// <summary>
    /// Data parallelism's view into backward (as PyTorch DDP's gradient-ready hooks): while set, a forward that
    /// builds a graph marks the residual stream at the input of ln_f and of each block, and backward calls this with
    /// the index of a stage of <see cref="GradientStages"/> as soon as that stage's gradients are complete.
    /// </summary>
    public Action<int>? OnGradientsReady
    {
        get => transformer.Ctx.OnGradientsReady;
        set => transformer.Ctx.OnGradientsReady = value;
    }

    /// <summary>The parameters in the order backward completes them: stage 0 is ln_f (and an untied lm_head), stages
    /// 1 … n_layer are blocks n_layer−1 … 0, and the last stage holds the rest (the embeddings: wte also makes the tied
    /// logits, so it is complete only when backward ends, and no mark reports it).</summary>
    public IReadOnlyList<IReadOnlyList<Parameter>> GradientStages()
    {
        int L = Config.NLayer;
        var stages = Enumerable.Range(0, L + 2).Select(_ => new List<Parameter>()).ToList();
        foreach (var (name, p) in named_parameters())
        {
            int stage = L + 1;
            if (name.StartsWith("transformer.ln_f.", StringComparison.Ordinal) || name.StartsWith("lm_head.", StringComparison.Ordinal)) stage = 0;
            else if (name.StartsWith("transformer.h.", StringComparison.Ordinal)) stage = L - int.Parse(name.Split('.')[2], System.Globalization.CultureInfo.InvariantCulture);
            stages[stage].Add(p);
        }
        return stages;
    }

    /// <summary>(B, T) token ids → (B, T, V) logits.</summary>
    public override Tensor forward(Tensor idx) => Forward(idx, null);

    /// <summary>With a <paramref name="cache"/>: the new tokens continue the cached ones (positions
    /// cache.Position …). Without: positions 0 … T−1. A rolling cache (RoPE models) keeps the last block_size
    /// keys and values and lets positions grow past block_size: attention depends on relative positions only.</summary>
    public Tensor Forward(Tensor idx, KvCache? cache)
    {
        using var scope = NewDisposeScope();
        long T = idx.shape[1];
        int start = cache?.Position ?? 0;
        if (cache is { Rolling: true } && Config.PosEmbedding != PosEmbedding.Rope)
            throw new GptLabException("a rolling window needs rotary positions (pos_embedding: rope); this model learned absolute positions — use --window jump or slide");
        if (cache is { Rolling: true } ? T > Config.BlockSize : start + T > Config.BlockSize)
            throw new GptLabException($"cannot forward a sequence of {start + T} tokens: block_size is {Config.BlockSize}");
        var docs = Config.Attention == AttentionKind.Document && Config.DocumentToken is int eos && cache is null
            ? DocumentLayout.Of(idx, eos, transformer.Ctx) : null;
        var x = transformer.Hidden(idx, start, cache, docs);                        // (B, T, C)
        var head = lm_head?.weight ?? transformer.wte.weight!;                      // tied to wte unless tie_embeddings is off
        var logits = transformer.Ctx.Linear(x, head, null).to(ScalarType.Float32);   // (B, T, V)
        if (Config.LogitSoftcap > 0) logits = Config.LogitSoftcap * (logits / Config.LogitSoftcap).tanh();   // (B, T, V) in (−c, c)
        cache?.Advance((int)T);
        return logits.MoveToOuterDisposeScope();
    }

    /// <summary>Number of parameters; nanoGPT's non_embedding count subtracts the position embeddings.</summary>
    public long NumParams(bool nonEmbedding = true)
    {
        long n = parameters().Sum(p => p.numel());
        if (nonEmbedding && transformer.wpe is not null) n -= transformer.wpe.weight!.numel();
        return n;
    }

    private void InitWeights()
    {
        using var _ = no_grad();
        double residualStd = 0.02 / Math.Sqrt(2 * Config.NLayer);
        foreach (var (name, p) in named_parameters())
        {
            if (name.EndsWith("c_proj.weight")) { if (Config.ZeroInitProj) nn.init.zeros_(p); else nn.init.normal_(p, 0, residualStd); }
            else if (name.EndsWith(".weight") && p.dim() == 2) nn.init.normal_(p, 0, 0.02);
            else if (name.Contains(".ln_") || name.Contains("ln_f")) { if (name.EndsWith(".weight")) nn.init.ones_(p); else nn.init.zeros_(p); }
            else if (name.EndsWith(".bias")) nn.init.zeros_(p);
        }
    }

    /// <summary>nanoGPT's estimate_mfu: FLOPs of one forward+backward of <paramref name="tokensPerIter"/> tokens.</summary>
    public double FlopsPerIter(long tokensPerIter)
    {
        long N = NumParams();
        int L = Config.NLayer, H = Config.NHead, Q = Config.HeadSize, T = Config.BlockSize;
        double perToken = 6.0 * N + 12.0 * L * H * Q * T;
        return perToken * tokensPerIter;
    }
}

/// <summary>Settings shared by all modules of one model (mixed precision).</summary>
internal sealed class ModelContext
{
    public ScalarType? Autocast { get; set; }

    /// <summary>See <see cref="Gpt.OnGradientsReady"/>.</summary>
    public Action<int>? OnGradientsReady { get; set; }

    /// <summary>x, marked so that backward reports stage <paramref name="stage"/> complete when it passes (only while
    /// someone listens and the forward builds a graph).</summary>
    public Tensor MarkGradients(Tensor x, int stage) =>
        OnGradientsReady is { } ready && x.requires_grad ? GradientsReady.Mark(x, ready, stage) : x;

    /// <summary>
    /// Inverted dropout, x times a mask of 0 (probability p) and 1/(1−p): on the CPU the mask is drawn by
    /// <see cref="DropoutMask"/> in x's dtype; elsewhere from rand(). libtorch's CPU dropout (bernoulli) is 2–2.5×
    /// slower than even the rand() mask (64×256×384 forward+backward: 46 vs 21 ms).
    /// </summary>
    public static Tensor Dropout(Tensor x, double p, bool training)
    {
        if (!training || p <= 0) return x;
        if (DropoutMask.Handles(x)) return x * DropoutMask.Like(x, p);
        var keep = rand(x.shape, dtype: ScalarType.Float32, device: x.device).ge_(p).div_(1 - p);
        return x * keep.to(x.dtype);
    }

    private Tensor? mask;

    /// <summary>True above the diagonal: the keys a query may not see. (T, T), cached.</summary>
    public Tensor CausalMask(long T, Device device)
    {
        if (mask is null || mask.shape[0] < T)
        {
            mask?.Dispose();
            using var _ = NewDisposeScope();
            mask = ones(T, T, dtype: ScalarType.Bool, device: device).triu(1).DetachFromDisposeScope();
        }
        return mask.shape[0] == T ? mask : mask.narrow(0, 0, T).narrow(1, 0, T);
    }

    private Tensor? bias;

    /// <summary>−∞ above the diagonal, 0 elsewhere, in <paramref name="like"/>'s dtype: the causal mask as an
    /// addend. (T, T), cached.</summary>
    public Tensor CausalBias(long T, Tensor like)
    {
        if (bias is null || bias.shape[0] != T || bias.dtype != like.dtype || bias.device != like.device)
        {
            bias?.Dispose();
            using var _ = NewDisposeScope();
            bias = zeros(T, T, dtype: like.dtype, device: like.device).masked_fill_(CausalMask(T, like.device), double.NegativeInfinity).DetachFromDisposeScope();
        }
        return bias;
    }

    /// <summary>x·Wᵀ + b, in the autocast dtype when one is set.</summary>
    public Tensor Linear(Tensor x, Tensor weight, Tensor? bias)
    {
        if (Autocast is ScalarType dt)
            return F.linear(x.to(dt), weight.to(dt), bias?.to(dt));
        return F.linear(x, weight, bias);
    }

    public Tensor Linear(Tensor x, Linear layer) => Linear(x, layer.weight!, layer.bias);
}

internal sealed class Transformer : nn.Module
{
    public readonly Embedding wte;
    public readonly Embedding? wpe;
    private readonly ModuleList<Block> h;
    private readonly nn.Module<Tensor, Tensor> ln_f;
    private readonly Rotary? rotary;

    public Transformer(GptConfig c) : base(nameof(Transformer))
    {
        Ctx = new ModelContext();
        wte = nn.Embedding(c.VocabSize, c.NEmbd);
        if (c.PosEmbedding == PosEmbedding.Learned) wpe = nn.Embedding(c.BlockSize, c.NEmbd);
        else rotary = new Rotary(c.HeadSize, c.BlockSize, c.RopeTheta);
        dropout = c.Dropout;
        h = nn.ModuleList(Enumerable.Range(0, c.NLayer).Select(_ => new Block(c, Ctx, rotary)).ToArray());
        ln_f = Norms.Create(c);
        RegisterComponents();
    }

    public ModelContext Ctx { get; }
    private readonly double dropout;

    public Tensor Hidden(Tensor idx, int start, KvCache? cache, DocumentLayout? docs)   // (B, T) → (B, T, C)
    {
        long T = idx.shape[1];
        var x = wte.call(idx);
        if (wpe is not null)
        {
            if (docs is not null) x = x + wpe.call(docs.Positions);                 // positions restart per document
            else
            {
                using var pos = arange(start, start + T, dtype: ScalarType.Int64, device: idx.device);
                x = x + wpe.call(pos);
            }
        }
        x = ModelContext.Dropout(x, dropout, training);
        for (int i = 0; i < h.Count; i++) x = h[i].Forward(Ctx.MarkGradients(x, h.Count - i), start, cache?.Layer(i), docs);
        return ln_f.call(Ctx.MarkGradients(x, 0));
    }
}

internal sealed class Block : nn.Module
{
    private readonly nn.Module<Tensor, Tensor> ln_1;
    private readonly CausalSelfAttention attn;
    private readonly nn.Module<Tensor, Tensor> ln_2;
    private readonly Mlp mlp;

    public Block(GptConfig c, ModelContext ctx, Rotary? rotary) : base(nameof(Block))
    {
        ln_1 = Norms.Create(c);
        attn = new CausalSelfAttention(c, ctx, rotary);
        ln_2 = Norms.Create(c);
        mlp = new Mlp(c, ctx);
        RegisterComponents();
    }

    public Tensor Forward(Tensor x, int start, LayerCache? cache, DocumentLayout? docs)   // (B, T, C)
    {
        x = x + attn.Forward(ln_1.call(x), start, cache, docs);
        return x + mlp.call(ln_2.call(x));
    }
}

internal sealed class CausalSelfAttention : nn.Module
{
    private readonly Linear c_attn;
    private readonly Linear c_proj;
    private readonly int nh;
    private readonly double dropout;
    private readonly ModelContext ctx;
    private readonly Rotary? rotary;
    private readonly bool qkNorm;

    /// <summary>The longest block for which CPU training without dropout takes the written-out attention (measured faster up to 256).</summary>
    private const long ExplicitTrainingBlock = 256;

    public CausalSelfAttention(GptConfig c, ModelContext ctx, Rotary? rotary) : base(nameof(CausalSelfAttention))
    {
        c_attn = nn.Linear(c.NEmbd, 3 * c.NEmbd, c.Bias);
        c_proj = nn.Linear(c.NEmbd, c.NEmbd, c.Bias);
        nh = c.NHead;
        dropout = c.Dropout;
        this.ctx = ctx;
        this.rotary = rotary;
        qkNorm = c.QkNorm;
        RegisterComponents();
    }

    public Tensor Forward(Tensor x, int start, LayerCache? cache, DocumentLayout? docs)
    {
        long B = x.shape[0], T = x.shape[1], C = x.shape[2], hs = C / nh;
        var qkv = ctx.Linear(x, c_attn).split(C, dim: 2);                          // 3 × (B, T, C)
        var q = qkv[0].view(B, T, nh, hs).transpose(1, 2);                          // (B, nh, T, hs)
        var k = qkv[1].view(B, T, nh, hs).transpose(1, 2);
        var v = qkv[2].view(B, T, nh, hs).transpose(1, 2);
        if (qkNorm)
        {
            q = Norms.Rms(q);                                                          // each head's query and key to unit RMS
            k = Norms.Rms(k);
        }
        if (rotary is not null)
        {
            q = docs is null ? rotary.Apply(q, start) : rotary.ApplyAt(q, docs.Positions);
            k = docs is null ? rotary.Apply(k, start) : rotary.ApplyAt(k, docs.Positions);
        }
        bool causal = true;
        if (cache is not null)
        {
            bool continues = cache.Length > 0;
            (k, v) = cache.Append(k, v);                                            // (B, nh, cached+T, hs)
            if (continues)
            {
                if (T != 1) throw new InvalidOperationException("a cached forward after the prompt takes one token at a time");
                causal = false;                                                     // one query sees every cached key
            }
        }
        Tensor y;
        if (training && causal && (dropout > 0 || (q.device.type == DeviceType.CPU && T <= ExplicitTrainingBlock)))
        {
            // With dropout, libtorch's CPU SDPA leaves its fused kernel (and is 12× slower at block 64); the
            // explicit form with a drawn mask is faster (block 256, rand() masks: 39 vs 49 ms per layer forward+backward).
            // Without dropout the fused CPU kernel's backward is the slow part: the speedrun preset (block 128) at
            // dropout 0 spent 234–269 ms in backward through SDPA and 157–166 through this form; b (block 256) 553–566
            // vs 623–629 ms per step. Longer blocks keep SDPA, which never holds the (T, T) scores.
            // The scale goes on q (T·hs values, not T·T) and the causal mask is added in place (its backward passes
            // the gradient through): two fewer passes over the (B, nh, T, T) scores each way.
            var att = (q * (1.0 / Math.Sqrt(hs))).matmul(k.transpose(-2, -1));                  // (B, nh, T, T)
            att = F.softmax(docs is null ? att.add_(ctx.CausalBias(T, att)) : att.masked_fill(docs.Blocked, double.NegativeInfinity), -1);
            y = ModelContext.Dropout(att, dropout, true).matmul(v);                               // (B, nh, T, hs)
        }
        else if (docs is not null) y = F.scaled_dot_product_attention(q, k, v, docs.Allowed, 0.0, false);   // causal within each document
        else y = F.scaled_dot_product_attention(q, k, v, null, 0.0, causal);                      // (B, nh, T, hs)
        y = y.transpose(1, 2).contiguous().view(B, T, C);
        return ModelContext.Dropout(ctx.Linear(y, c_proj), dropout, training);
    }
}

internal sealed class Mlp : nn.Module<Tensor, Tensor>
{
    private readonly Linear c_fc;
    private readonly Linear c_proj;
    private readonly double dropout;
    private readonly ModelContext ctx;
    private readonly Activation activation;

    public Mlp(GptConfig c, ModelContext ctx) : base(nameof(Mlp))
    {
        c_fc = nn.Linear(c.NEmbd, 4 * c.NEmbd, c.Bias);
        c_proj = nn.Linear(4 * c.NEmbd, c.NEmbd, c.Bias);
        dropout = c.Dropout;
        this.ctx = ctx;
        activation = c.Activation;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)                                       // (B, T, C)
    {
        var h = ctx.Linear(x, c_fc);
        h = activation switch
        {
            Activation.GeluTanh => h.gelu(GELU.Approximate.tanh),
            Activation.Relu2 => F.relu(h).square(),
            _ => F.gelu(h),
        };
        return ModelContext.Dropout(ctx.Linear(h, c_proj), dropout, training);
    }
}

/// <summary>Rotary position embeddings (RoFormer; the "rotate half" layout of GPT-NeoX/Llama).</summary>
internal sealed class Rotary : nn.Module
{
    private readonly Tensor inv;   // (hs/2) inverse frequencies, float64
    private readonly Tensor cos;   // (block_size, hs/2)
    private readonly Tensor sin;

    public Rotary(int headSize, int blockSize, double theta) : base(nameof(Rotary))
    {
        using var _ = NewDisposeScope();
        inv = (1.0 / pow(theta, arange(0, headSize, 2, dtype: ScalarType.Float64) / headSize)).DetachFromDisposeScope();
        var angles = outer(arange(blockSize, dtype: ScalarType.Float64), inv);     // (block_size, hs/2)
        cos = angles.cos().to(ScalarType.Float32).DetachFromDisposeScope();
        sin = angles.sin().to(ScalarType.Float32).DetachFromDisposeScope();
        register_buffer("inv", inv, persistent: false);
        register_buffer("cos", cos, persistent: false);
        register_buffer("sin", sin, persistent: false);
    }

    /// <summary>Rotates each batch row's tokens by their own positions (B, T): documents restart at 0.</summary>
    public Tensor ApplyAt(Tensor x, Tensor positions)                                // (B, nh, T, hs), (B, T)
    {
        long half = x.shape[3] / 2;
        var c = cos.index_select(0, positions.flatten()).view(positions.shape[0], 1, positions.shape[1], half).to(x.dtype);   // (B, 1, T, hs/2)
        var s = sin.index_select(0, positions.flatten()).view(positions.shape[0], 1, positions.shape[1], half).to(x.dtype);
        var x1 = x.narrow(-1, 0, half);
        var x2 = x.narrow(-1, half, half);
        return cat([x1 * c - x2 * s, x2 * c + x1 * s], -1);
    }

    public Tensor Apply(Tensor x, int start)                                         // (B, nh, T, hs)
    {
        long T = x.shape[2], half = x.shape[3] / 2;
        Tensor c, s;
        if (start + T <= cos.shape[0])
        {
            c = cos.narrow(0, start, T).to(x.dtype);
            s = sin.narrow(0, start, T).to(x.dtype);
        }
        else
        {
            // past block_size (a rolling cache): the same angles, computed for these positions
            var angles = outer(arange(start, start + T, dtype: ScalarType.Float64, device: inv.device), inv);
            c = angles.cos().to(x.dtype);
            s = angles.sin().to(x.dtype);
        }
        var x1 = x.narrow(-1, 0, half);
        var x2 = x.narrow(-1, half, half);
        return cat([x1 * c - x2 * s, x2 * c + x1 * s], -1);
    }
}
