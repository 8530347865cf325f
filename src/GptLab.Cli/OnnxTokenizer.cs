using GptLab.Inference;

namespace GptLab.Cli;

/// <summary>An exported model's tokenizer behind GptLab's <see cref="ITokenizer"/>, so sample and eval print and score
/// alike with either engine.</summary>
internal sealed class OnnxTokenizer(Generator gen) : ITokenizer
{
    public string Kind => "onnx";
    public int VocabSize => gen.Config.TokenizerVocabSize;
    public int? EosId => gen.Config.EosTokenId;

    public void Encode(string text, List<int> ids)
    {
        try { ids.AddRange(gen.Tokenizer.Encode(text)); }
        catch (InferenceException e) { throw new GptLabException(e.Message); }
    }

    public string Decode(ReadOnlySpan<int> ids) => gen.Tokenizer.Decode(ids);

    public string Save(string directory) => throw new GptLabException("an exported model's tokenizer is its tokenizer.json");
}
