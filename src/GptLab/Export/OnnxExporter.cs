using GptLab.Model;
using Onnx;
using static TorchSharp.torch;
using DataType = Onnx.TensorProto.Types.DataType;

namespace GptLab.Export;

/// <summary>
/// Writes a <see cref="Gpt"/> as one ONNX decoder graph with a KV cache, laid out as Hugging Face Optimum does for
/// GPT-2: inputs <c>input_ids</c>, <c>attention_mask</c> (batch, past + sequence; 0 = padding), <c>position_ids</c>,
/// <c>past_key_values.N.key/value</c> (batch, n_head, past, head_size; past may be 0); outputs <c>logits</c> and
/// <c>present.N.key/value</c>. The graph below follows <see cref="Gpt.Forward"/> line by line. ONNX has no GPT
/// exporter for TorchSharp (no torch.onnx), so the graph is written by hand here.
/// </summary>
internal sealed class OnnxExporter
{
    private readonly OnnxGraph g = new();
    private readonly GptConfig c;
    private readonly Dictionary<string, Tensor> weights;
    private readonly Quantization quantize;

    private OnnxExporter(Gpt model, Quantization quantize)
    {
        c = model.Config;
        this.quantize = quantize;
        weights = model.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
    }

    /// <summary>The model as an ONNX ModelProto (weights as initializers).</summary>
    public static ModelProto Build(Gpt model, Quantization quantize, IReadOnlyDictionary<string, string> metadata)
    {
        using var _ = no_grad();
        return new OnnxExporter(model, quantize).Graph(metadata);
    }

    private ModelProto Graph(IReadOnlyDictionary<string, string> metadata)
    {
        int C = c.NEmbd, nh = c.NHead, hs = c.HeadSize;
        g.Input("input_ids", DataType.Int64, "batch_size", "sequence_length");
        g.Input("attention_mask", DataType.Int64, "batch_size", "total_sequence_length");
        g.Input("position_ids", DataType.Int64, "batch_size", "sequence_length");
        for (int i = 0; i < c.NLayer; i++)
            foreach (var kv in new[] { "key", "value" })
                g.Input($"past_key_values.{i}.{kv}", DataType.Float, "batch_size", nh, "past_sequence_length", hs);
        g.Output("logits", DataType.Float, "batch_size", "sequence_length", c.VocabSize);
        for (int i = 0; i < c.NLayer; i++)
            foreach (var kv in new[] { "key", "value" })
                g.Output($"present.{i}.{kv}", DataType.Float, "batch_size", nh, "total_sequence_length", hs);

        var mask = AllowedKeys();                                                        // (B, 1, T, S) bool
        var rope = c.PosEmbedding == PosEmbedding.Rope ? Rotary() : default;
        var wte = Embedding("transformer.wte.weight");                                  // (V, C)
        var x = g.Op("Gather", [wte, "input_ids"], "wte", ("axis", 0L));               // (B, T, C)
        if (c.PosEmbedding == PosEmbedding.Learned)
            x = g.Op("Add", [x, g.Op("Gather", [Embedding("transformer.wpe.weight"), "position_ids"], "wpe", ("axis", 0L))], "embed");
        for (int i = 0; i < c.NLayer; i++)
        {
            string p = $"transformer.h.{i}";
            x = g.Op("Add", [x, Attention(Norm(x, $"{p}.ln_1"), p, i, mask, rope)], $"{p}/residual1");
            x = g.Op("Add", [x, Mlp(Norm(x, $"{p}.ln_2"), p)], $"{p}/residual2");
        }
        x = Norm(x, "transformer.ln_f");
        string head = c.TieEmbeddings ? g.Op("Transpose", [wte], "lm_head", ("perm", new long[] { 1, 0 })) : Matrix("lm_head.weight");   // (C, V)
        var logits = g.Op("MatMul", [x, head], "lm_head");                               // (B, T, V)
        if (c.LogitSoftcap > 0)
        {
            var cap = g.Float((float)c.LogitSoftcap);
            logits = g.Op("Mul", [g.Op("Tanh", [g.Op("Div", [logits, cap], "softcap")], "softcap"), cap], "softcap");
        }
        g.Named("Identity", [logits], "logits");
        return g.Model(metadata);
    }

    /// <summary>Which keys each query may see: causal over past + new positions, and not padding. (B, 1, T, S).</summary>
    private string AllowedKeys()
    {
        var T = g.Op("Gather", [g.Op("Shape", ["input_ids"], "mask"), g.Int(1)], "mask", ("axis", 0L));          // scalar
        var S = g.Op("Gather", [g.Op("Shape", ["attention_mask"], "mask"), g.Int(1)], "mask", ("axis", 0L));     // past + T
        var keys = g.Op("Range", [g.Int(0), S, g.Int(1)], "mask");                                                   // (S)
        var queries = g.Op("Range", [g.Op("Sub", [S, T], "mask"), S, g.Int(1)], "mask");                            // (T): past … S−1
        var causal = g.Op("LessOrEqual", [g.Op("Unsqueeze", [keys, g.Ints(0)], "mask"), g.Op("Unsqueeze", [queries, g.Ints(1)], "mask")], "mask");   // (T, S)
        var notPad = g.Op("Unsqueeze", [g.Op("Cast", ["attention_mask"], "mask", ("to", (long)DataType.Bool)), g.Ints(1, 2)], "mask");                // (B, 1, 1, S)
        return g.Op("And", [causal, notPad], "mask");
    }

    /// <summary>cos and sin of each position's angles, (B, 1, T, hs/2): rows of the tables <c>Rotary</c> builds (angles in
    /// float64, then float32), gathered by position_ids — the same numbers as libtorch, no trigonometry per step, and
    /// portable (ONNX Runtime builds without float64 Cos exist). Positions stay below block_size (ONNX decoding jumps).</summary>
    private (string Cos, string Sin) Rotary()
    {
        int hs = c.HeadSize, half = hs / 2, T = c.BlockSize;
        var cos = new float[T * half];
        var sin = new float[T * half];
        for (int t = 0; t < T; t++)
            for (int j = 0; j < half; j++)
            {
                double angle = t * (1.0 / Math.Pow(c.RopeTheta, 2.0 * j / hs));
                cos[t * half + j] = (float)Math.Cos(angle);
                sin[t * half + j] = (float)Math.Sin(angle);
            }
        string Table(string name, float[] data) =>
            g.Op("Unsqueeze", [g.Op("Gather", [g.Weight(name, data, T, half), "position_ids"], "rope", ("axis", 0L)), g.Ints(1)], "rope");   // (B, 1, T, hs/2)
        return (Table("rope.cos", cos), Table("rope.sin", sin));
    }

    private string Attention(string x, string p, int layer, string mask, (string Cos, string Sin) rope)
    {
        int C = c.NEmbd, nh = c.NHead, hs = c.HeadSize;
        var qkv = g.Ops("Split", [Linear(x, $"{p}.attn.c_attn"), g.Ints(C, C, C)], 3, $"{p}/attn", ("axis", 2L));   // 3 × (B, T, C)
        string Heads(string t) => g.Op("Transpose", [g.Op("Reshape", [t, g.Ints(0, 0, nh, hs)], $"{p}/attn")], $"{p}/attn", ("perm", new long[] { 0, 2, 1, 3 }));   // (B, nh, T, hs)
        string q = Heads(qkv[0]), k = Heads(qkv[1]), v = Heads(qkv[2]);
        if (c.QkNorm)
        {
            q = Rms(q, 1e-6, $"{p}/attn/q_norm");
            k = Rms(k, 1e-6, $"{p}/attn/k_norm");
        }
        if (c.PosEmbedding == PosEmbedding.Rope)
        {
            q = Rotate(q, rope, $"{p}/attn/rope_q");
            k = Rotate(k, rope, $"{p}/attn/rope_k");
        }
        g.Named("Concat", [$"past_key_values.{layer}.key", k], $"present.{layer}.key", ("axis", 2L));               // (B, nh, S, hs)
        g.Named("Concat", [$"past_key_values.{layer}.value", v], $"present.{layer}.value", ("axis", 2L));
        var scores = g.Op("MatMul", [q, g.Op("Transpose", [$"present.{layer}.key"], $"{p}/attn", ("perm", new long[] { 0, 1, 3, 2 }))], $"{p}/attn");
        scores = g.Op("Mul", [scores, g.Float((float)(1.0 / Math.Sqrt(hs)))], $"{p}/attn");                          // (B, nh, T, S)
        scores = g.Op("Where", [mask, scores, g.Float(-1e9f)], $"{p}/attn");                                         // exp underflows to 0, as −∞, without NaN on padded rows
        var y = g.Op("MatMul", [g.Op("Softmax", [scores], $"{p}/attn", ("axis", -1L)), $"present.{layer}.value"], $"{p}/attn");   // (B, nh, T, hs)
        y = g.Op("Reshape", [g.Op("Transpose", [y], $"{p}/attn", ("perm", new long[] { 0, 2, 1, 3 })), g.Ints(0, 0, C)], $"{p}/attn");   // (B, T, C)
        return Linear(y, $"{p}.attn.c_proj");
    }

    private string Mlp(string x, string p)
    {
        var h = Linear(x, $"{p}.mlp.c_fc");
        string n = $"{p}/mlp";
        h = c.Activation switch
        {
            Activation.Relu2 => g.Op("Mul", [g.Op("Relu", [h], n), g.Op("Relu", [h], n)], n),
            // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
            Activation.GeluTanh => g.Op("Mul", [g.Op("Mul", [h, g.Float(0.5f)], n), g.Op("Add", [g.Float(1f), g.Op("Tanh", [g.Op("Mul", [g.Float((float)Math.Sqrt(2 / Math.PI)),
                g.Op("Add", [h, g.Op("Mul", [g.Float(0.044715f), g.Op("Mul", [h, g.Op("Mul", [h, h], n)], n)], n)], n)], n)], n)], n)], n),
            // 0.5·x·(1 + erf(x/√2)): ONNX Runtime fuses this into its Gelu kernel
            _ => g.Op("Mul", [g.Op("Mul", [h, g.Op("Add", [g.Op("Erf", [g.Op("Div", [h, g.Float((float)Math.Sqrt(2))], n)], n), g.Float(1f)], n)], n), g.Float(0.5f)], n),
        };
        return Linear(h, $"{p}.mlp.c_proj");
    }

    private string Rotate(string x, (string Cos, string Sin) r, string n)   // (B, nh, T, hs): the "rotate half" layout
    {
        long half = c.HeadSize / 2;
        var x1 = g.Op("Slice", [x, g.Ints(0), g.Ints(half), g.Ints(-1)], n);
        var x2 = g.Op("Slice", [x, g.Ints(half), g.Ints(2 * half), g.Ints(-1)], n);
        var a = g.Op("Sub", [g.Op("Mul", [x1, r.Cos], n), g.Op("Mul", [x2, r.Sin], n)], n);
        var b = g.Op("Add", [g.Op("Mul", [x2, r.Cos], n), g.Op("Mul", [x1, r.Sin], n)], n);
        return g.Op("Concat", [a, b], n, ("axis", -1L));
    }

    private string Norm(string x, string p)
    {
        var w = g.Weight($"{p}.weight", Floats(weights[$"{p}.weight"]), c.NEmbd);
        if (c.Norm == NormKind.RmsNorm) return g.Op("Mul", [Rms(x, 1e-5, p), w], p);
        string[] inputs = weights.TryGetValue($"{p}.bias", out var b) ? [x, w, g.Weight($"{p}.bias", Floats(b), c.NEmbd)] : [x, w];
        return g.Op("LayerNormalization", inputs, p, ("axis", -1L), ("epsilon", 1e-5f));
    }

    private string Rms(string x, double eps, string n) =>   // x / sqrt(mean(x²) + eps) over the last axis
        g.Op("Mul", [x, g.Op("Reciprocal", [g.Op("Sqrt", [g.Op("Add", [g.Op("ReduceMean", [g.Op("Mul", [x, x], n)], n, ("axes", new long[] { -1 }), ("keepdims", 1L)), g.Float((float)eps)], n)], n)], n)], n);

    /// <summary>x·Wᵀ + b: the weight stored as (in, out), so one MatMul.</summary>
    private string Linear(string x, string p)
    {
        var y = g.Op("MatMul", [x, Matrix($"{p}.weight")], p);
        return weights.TryGetValue($"{p}.bias", out var b) ? g.Op("Add", [y, g.Weight($"{p}.bias", Floats(b), b.shape[0])], p) : y;
    }

    /// <summary>A Linear's (out, in) weight as the (in, out) right operand of MatMul; int8: per output channel, symmetric.</summary>
    private string Matrix(string name)
    {
        var w = weights[name];
        long outF = w.shape[0], inF = w.shape[1];
        var t = Floats(w.t());
        if (quantize == Quantization.None) return g.Weight(name, t, inF, outF);
        var (q, scale) = Int8.Quantize(t, inF, outF, axis: 1);
        return g.Op("DequantizeLinear", [g.Weight(name + ".int8", q, inF, outF), g.Weight(name + ".scale", scale, outF)], name, ("axis", 1L));
    }

    /// <summary>An embedding table (rows are tokens or positions); int8: per row, which is the tied head's output channel.</summary>
    private string Embedding(string name)
    {
        var w = weights[name];
        long rows = w.shape[0], cols = w.shape[1];
        var data = Floats(w);
        if (quantize == Quantization.None) return g.Weight(name, data, rows, cols);
        var (q, scale) = Int8.Quantize(data, rows, cols, axis: 0);
        return g.Op("DequantizeLinear", [g.Weight(name + ".int8", q, rows, cols), g.Weight(name + ".scale", scale, rows)], name, ("axis", 0L));
    }

    private static float[] Floats(Tensor t)
    {
        using var f = t.detach().to(ScalarType.Float32).cpu().contiguous();
        return f.data<float>().ToArray();
    }
}
