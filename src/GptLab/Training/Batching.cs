namespace GptLab.Training;

/// <summary>How training windows are drawn (config key <c>batching</c>).</summary>
public enum Batching
{
    Random,       // random: windows at random offsets, as nanoGPT
    Sequential,   // sequential: non-overlapping chunks in order, one pass per epoch
    DocAligned,   // doc_aligned: windows at random document starts (right after an end-of-text token), or k·block_size into a long document
}
