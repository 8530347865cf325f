using System.Diagnostics;

namespace GptLab.Cli;

/// <summary>`sample --stats`: the first token's latency and tokens/s inside and past block_size.</summary>
internal sealed class GenerationTiming(int promptTokens, int blockSize)
{
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private readonly List<double> at = [];

    public void Token() => at.Add(clock.Elapsed.TotalSeconds);

    public string Summary(int rows)
    {
        if (at.Count == 0) return "stats: no tokens generated";
        int inside = Math.Clamp(blockSize - promptTokens, 0, at.Count);   // tokens whose context still fits the block
        string Rate(int from, int to) => to - from >= 2 ? $"{(to - from - 1) * rows / (at[to - 1] - at[from]):N0} tok/s" : "–";
        return $"stats: first token {at[0] * 1000:0} ms; {at.Count * rows / at[^1]:N0} tok/s overall ({at.Count:N0} steps × {rows} sample{(rows == 1 ? "" : "s")}); "
            + $"inside block_size {Rate(0, inside)}, past it {Rate(inside, at.Count)}";
    }
}
