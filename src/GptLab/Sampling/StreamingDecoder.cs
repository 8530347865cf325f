namespace GptLab.Sampling;

/// <summary>Decodes a growing token list and hands out only the new text (byte-level BPE may need several tokens
/// for one character), for printing or streaming a sample token by token.</summary>
public sealed class StreamingDecoder(ITokenizer tok)
{
    private readonly List<int> ids = [];
    private int emitted;

    public string Push(int id)
    {
        if (id < 0) return "";
        ids.Add(id);
        string all = tok.Decode(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(ids));
        if (all.EndsWith('\uFFFD')) return "";   // an incomplete UTF-8 sequence: wait for the next token
        string fresh = all[Math.Min(emitted, all.Length)..];
        emitted = all.Length;
        return fresh;
    }
}
