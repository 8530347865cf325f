namespace GptLab.Inference;

/// <summary>The shape of an exported model, read from its <c>config.json</c> (GPT-2's keys + GptLab's block).</summary>
public sealed record ModelConfig
{
    public int NLayer { get; init; }
    public int NHead { get; init; }
    public int NEmbd { get; init; }
    public int BlockSize { get; init; }
    public int VocabSize { get; init; }            // the model's (padded) vocabulary
    public int TokenizerVocabSize { get; init; }   // ids at and above this are padding: never sampled
    public int? EosTokenId { get; init; }
    public string PosEmbedding { get; init; } = "learned";
    public string Quantize { get; init; } = "none";
    public string ModelFile { get; init; } = "model.onnx";
    public int HeadSize => NEmbd / NHead;

    public static ModelConfig Load(string directory)
    {
        string path = Path.Combine(directory, "config.json");
        var root = JsonFile.Read(directory, "config.json", $" — export the model with `gptlab export --format onnx --out {directory}`");
        int Int(string key) => root[key]?.GetValue<int>() ?? throw new InferenceException($"{path} has no {key}");
        var g = root["gptlab"];
        var config = new ModelConfig
        {
            NLayer = Int("n_layer"), NHead = Int("n_head"), NEmbd = Int("n_embd"), BlockSize = Int("n_positions"), VocabSize = Int("vocab_size"),
            TokenizerVocabSize = g?["tokenizer_vocab_size"]?.GetValue<int>() ?? Int("vocab_size"),
            EosTokenId = root["eos_token_id"]?.GetValue<int>(),
            PosEmbedding = g?["pos_embedding"]?.GetValue<string>() ?? "learned",
            Quantize = g?["quantize"]?.GetValue<string>() ?? "none",
            ModelFile = g?["model_file"]?.GetValue<string>() ?? "model.onnx",
        };
        if (config.NLayer < 1 || config.NHead < 1 || config.NEmbd % config.NHead != 0 || config.BlockSize < 1)
            throw new InferenceException($"{path}: n_layer, n_head, n_embd or n_positions make no model");
        return config;
    }
}
