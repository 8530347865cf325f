using System.CommandLine;
using GptLab.Training;

namespace GptLab.Cli;

/// <summary>
/// nanoGPT's command-line habits (<c>--max_iters=100</c>, <c>sample.py --start … --num_samples 3</c>) answered with
/// GptLab's spelling instead of a bare "Unrecognized argument".
/// </summary>
internal static class NanoGptFlags
{
    /// <summary>sample.py's flags whose GptLab name differs by more than dashes.</summary>
    private static readonly Dictionary<string, string> Renamed = new()
    {
        ["start"] = "--prompt TEXT (nanoGPT's FILE:path is --prompt-file path)",
        ["out_dir"] = "--run DIR (a run folder) or --checkpoint DIR",
        ["init_from"] = "--checkpoint DIR (import a nanoGPT ckpt.pt first: gptlab import ckpt.pt --out DIR)",
    };

    /// <summary>What to write instead of <paramref name="token"/> for <paramref name="command"/>, or null.</summary>
    public static string? Hint(Command command, string token)
    {
        if (!token.StartsWith("--", StringComparison.Ordinal)) return null;
        string body = token[2..];
        int eq = body.IndexOf('=');
        string key = eq < 0 ? body : body[..eq], value = eq < 0 ? "VALUE" : body[(eq + 1)..];
        if (key == "compile") return "drop it: TorchSharp has no torch.compile";
        var options = command.Options.SelectMany(o => o.Aliases.Prepend(o.Name)).ToHashSet();
        string dashed = "--" + key.Replace('_', '-');
        bool trains = command.Name is "train" or "compare" or "bench";
        if (trains && ConfigResolver.Keys.Contains(key)) return $"nanoGPT's config keys are set with --set: `--set {key}={value}`";
        if (options.Contains(dashed) && dashed != token) return $"GptLab spells it `{dashed}{(eq < 0 ? "" : $" {value}")}`";
        if (Renamed.TryGetValue(key, out var instead) && command.Name is "sample" or "predict" or "eval") return $"GptLab spells it {instead}";
        return null;
    }
}
