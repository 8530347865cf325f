namespace GptLab.Data;

/// <summary>A piece of a corpus: a whole document, or a part of a long one (then <see cref="EndsDocument"/> is false
/// for all but its last piece). Pieces of one document are cut only where tokenization cannot straddle.</summary>
public readonly record struct TextPiece(string Text, bool EndsDocument);

/// <summary>How a text file is divided into documents.</summary>
public enum DocumentMode
{
    Whole,      // each file is one document
    Separator,  // documents are separated by a line equal to the separator (TinyStories' <|endoftext|>)
    PerLine,    // each non-empty line is a document (headlines)
}
