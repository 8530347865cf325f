namespace GptLab.Cli.Commands.Bench;

/// <summary>Flag values the bench commands share: comma-separated numbers, the preset aliases a and b.</summary>
internal static class BenchArgs
{
    public static IEnumerable<int> Ints(string s) => s.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(int.Parse);

    public static string Alias(string name) => name switch { "a" => "shakespeare-char-cpu", "b" => "shakespeare-char", _ => name };

    /// <summary>b is nanoGPT's shakespeare_char model at the reference's batch 12 and no dropout.</summary>
    public static string[] AliasSets(string name) => name == "b" ? ["batch_size=12", "dropout=0"] : [];
}
