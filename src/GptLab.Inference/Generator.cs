using System.Text;
using Microsoft.ML.OnnxRuntime;

namespace GptLab.Inference;

/// <summary>
/// Text generation with an exported GptLab model (<c>gptlab export --format onnx</c>) through ONNX Runtime. The
/// prompt runs once; each new token is one position of work against the KV cache the graph returns. Past block_size
/// the context jumps as <c>gptlab sample --window jump</c> does: the last <see cref="GenerationOptions.Keep"/> tokens
/// are re-encoded once and generation continues cached.
/// <code>
/// using var gen = Generator.Load("exported");
/// foreach (var piece in gen.Generate("ROMEO:", new GenerationOptions { MaxNewTokens = 200 })) Console.Write(piece);
/// </code>
/// </summary>
public sealed class Generator : IDisposable
{
    private readonly InferenceSession session;
    private readonly string[] outputNames;

    private Generator(string directory, InferenceSession session, ModelConfig config, Tokenizer tokenizer)
    {
        Directory = directory;
        this.session = session;
        Config = config;
        Tokenizer = tokenizer;
        outputNames = ["logits", .. Enumerable.Range(0, config.NLayer).SelectMany(i => new[] { $"present.{i}.key", $"present.{i}.value" })];
    }

    public string Directory { get; }
    public ModelConfig Config { get; }
    public Tokenizer Tokenizer { get; }

    /// <summary>Opens an exported model folder. <paramref name="threads"/>: ONNX Runtime's intra-op threads (default 1:
    /// one row's cached step is a chain of small kernels that thread hand-offs slow down).</summary>
    public static Generator Load(string directory, int threads = 1)
    {
        if (!System.IO.Directory.Exists(directory)) throw new InferenceException($"{directory}: no such folder");
        var config = ModelConfig.Load(directory);
        var tokenizer = Tokenizer.Load(directory);
        string file = Path.Combine(directory, config.ModelFile);
        if (!File.Exists(file)) throw new InferenceException($"{directory} has no {config.ModelFile}");
        var options = new SessionOptions { IntraOpNumThreads = Math.Max(1, threads), InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL };
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", threads > 1 ? "1" : "0");
        InferenceSession session;
        try { session = new InferenceSession(file, options); }
        catch (OnnxRuntimeException e) { throw new InferenceException($"{file}: ONNX Runtime cannot load it ({e.Message.Split('\n')[0]})"); }
        finally { options.Dispose(); }
        return new Generator(directory, session, config, tokenizer);
    }

    /// <summary>Streams the continuation of <paramref name="prompt"/> as text pieces (whole UTF-8 characters).</summary>
    public IEnumerable<string> Generate(string prompt, GenerationOptions? options = null)
    {
        var o = options ?? new GenerationOptions();
        var decoder = Encoding.UTF8.GetDecoder();
        var chars = new char[64];
        foreach (int id in Stream(PromptIds(prompt), o))
        {
            var b = Tokenizer.Bytes(id);
            if (chars.Length < b.Length + 4) chars = new char[b.Length + 4];
            int n = decoder.GetChars(b, chars, flush: false);
            if (n > 0) yield return new string(chars, 0, n);
        }
    }

    /// <summary>The ids of one continuation, a token at a time.</summary>
    public IEnumerable<int> Stream(int[] prompt, GenerationOptions o)
    {
        foreach (var step in Steps(prompt, 1, o))
            if (step[0] >= 0) yield return step[0];
    }

    /// <summary>Generates <paramref name="rows"/> continuations of <paramref name="prompt"/> together (a batch).
    /// <paramref name="onTokens"/> gets each step's new token per row (−1 for a row that stopped).</summary>
    public int[][] GenerateIds(int[] prompt, int rows, GenerationOptions o, Action<int[]>? onTokens = null)
    {
        var outputs = Enumerable.Range(0, rows).Select(_ => new List<int>()).ToArray();
        foreach (var step in Steps(prompt, rows, o))
        {
            for (int r = 0; r < rows; r++) if (step[r] >= 0) outputs[r].Add(step[r]);
            onTokens?.Invoke(step);
        }
        return outputs.Select(x => x.ToArray()).ToArray();
    }

    /// <summary>The <paramref name="top"/> most likely next tokens after <paramref name="prompt"/>.</summary>
    public IReadOnlyList<TokenProbability> NextTokens(string prompt, int top = 10)
    {
        var ids = PromptIds(prompt);
        using var state = new DecodeState(this, 1);
        var logits = state.Run(ids.TakeLast(Config.BlockSize).Select(t => (long)t).ToArray(), 1);
        int V = Math.Min(Config.TokenizerVocabSize, logits.Length);
        double max = logits.AsSpan(0, V).ToArray().Max(), sum = 0;
        for (int i = 0; i < V; i++) sum += Math.Exp(logits[i] - max);
        return Enumerable.Range(0, V).OrderByDescending(i => logits[i]).Take(top)
            .Select(i => new TokenProbability(i, Tokenizer.Decode([i]), Math.Exp(logits[i] - max) / sum)).ToList();
    }

    /// <summary>Logits (rows, len, V) of a batch of token windows, each from position 0 (no cache): for scoring.</summary>
    public float[] Logits(long[] ids, int rows, int len)
    {
        if (len > Config.BlockSize) throw new InferenceException($"a window of {len} tokens is longer than block_size ({Config.BlockSize})");
        using var state = new DecodeState(this, rows);
        return state.Run(ids, len, allPositions: true);
    }

    /// <summary>Each position's logits (T, V) computed one token at a time through the KV cache (for tests: the cached
    /// path must equal <see cref="Logits"/>).</summary>
    internal float[] CachedLogits(int[] ids)
    {
        using var state = new DecodeState(this, 1);
        return ids.SelectMany(t => state.Run([t], 1)).ToArray();
    }

    /// <summary>The prompt's ids; an empty prompt starts from the end-of-text token, or a newline (as gptlab sample).</summary>
    public int[] PromptIds(string prompt)
    {
        if (prompt.Length > 0) return Tokenizer.Encode(prompt);
        if (Config.EosTokenId is int eos) return [eos];
        var nl = Tokenizer.Encode("\n");
        return nl.Length > 0 ? nl : throw new InferenceException("the prompt is empty and the vocabulary has neither an end-of-text token nor a newline");
    }

    private IEnumerable<int[]> Steps(int[] prompt, int rows, GenerationOptions o)
    {
        if (prompt.Length == 0) throw new InferenceException("the prompt is empty");
        o.Check();
        int block = Config.BlockSize, keep = o.Keep ?? Math.Max(1, block / 2);
        if (keep < 1 || keep >= block) throw new InferenceException($"keep must be in [1, {block - 1}] (block_size − 1), got {keep}");
        var pickers = Enumerable.Range(0, rows).Select(r => new TokenPicker(o with { Seed = o.Seed + r }, Config.TokenizerVocabSize)).ToArray();
        var window = new List<int>(prompt.TakeLast(block));   // the tokens the next forward sees, the same in every row but the sampled ones
        var rowsWindow = Enumerable.Range(0, rows).Select(_ => new List<int>(window)).ToArray();
        var done = new bool[rows];
        using var state = new DecodeState(this, rows);
        int context = window.Count;
        bool fresh = true;
        for (int step = 0; step < o.MaxNewTokens && !done.All(d => d); step++)
        {
            float[] logits;
            if (fresh)
            {
                state.Reset();
                logits = state.Run(rowsWindow.SelectMany(w => w.Skip(w.Count - context).Select(t => (long)t)).ToArray(), context);
                fresh = false;
            }
            else logits = state.Run(rowsWindow.Select(w => (long)w[^1]).ToArray(), 1);
            int V = Config.VocabSize;
            var chosen = new int[rows];
            for (int r = 0; r < rows; r++)
            {
                int id = pickers[r].Pick(logits.AsSpan(r * V, V));
                rowsWindow[r].Add(id);
                if (rowsWindow[r].Count > block) rowsWindow[r].RemoveAt(0);
                chosen[r] = done[r] ? -1 : id;
                if (o.StopAtEos && id == Config.EosTokenId) done[r] = true;
            }
            yield return chosen;
            if (++context > block) { context = keep; fresh = true; }   // jump: re-encode the last keep tokens once
        }
    }

    /// <summary>One batch's KV cache between ONNX Runtime calls: the graph's present.N.* become the next past.</summary>
    private sealed class DecodeState(Generator gen, int rows) : IDisposable
    {
        private OrtValue[] past = [];
        private int length;   // cached positions

        public void Reset()
        {
            foreach (var v in past) v.Dispose();
            past = [];
            length = 0;
        }

        /// <summary>Runs <paramref name="len"/> new tokens per row; returns the last position's logits (rows, V), or every position's.</summary>
        public float[] Run(long[] ids, int len, bool allPositions = false)
        {
            var c = gen.Config;
            if (past.Length == 0)
                past = Enumerable.Range(0, 2 * c.NLayer).Select(_ => OrtValue.CreateTensorValueFromMemory(Array.Empty<float>(), [rows, c.NHead, 0, c.HeadSize])).ToArray();
            int total = length + len;
            var mask = new long[rows * total];
            Array.Fill(mask, 1L);
            var positions = new long[rows * len];
            for (int r = 0; r < rows; r++) for (int t = 0; t < len; t++) positions[r * len + t] = length + t;
            using var idsValue = OrtValue.CreateTensorValueFromMemory(ids, [rows, len]);
            using var maskValue = OrtValue.CreateTensorValueFromMemory(mask, [rows, total]);
            using var posValue = OrtValue.CreateTensorValueFromMemory(positions, [rows, len]);
            var inputs = new List<OrtValue>(3 + past.Length) { idsValue, maskValue, posValue };
            inputs.AddRange(past);
            var names = gen.session.InputNames;
            using var options = new RunOptions();
            var outputs = gen.session.Run(options, names, inputs, gen.outputNames);
            var logits = outputs[0];
            int V = c.VocabSize;
            var all = logits.GetTensorDataAsSpan<float>();
            float[] result;
            if (allPositions) result = all.ToArray();
            else
            {
                result = new float[rows * V];
                for (int r = 0; r < rows; r++) all.Slice((r * len + len - 1) * V, V).CopyTo(result.AsSpan(r * V, V));
            }
            foreach (var v in past) v.Dispose();
            past = outputs.Skip(1).ToArray();
            logits.Dispose();
            length = total;
            return result;
        }

        public void Dispose() => Reset();
    }

    public void Dispose() => session.Dispose();
}
