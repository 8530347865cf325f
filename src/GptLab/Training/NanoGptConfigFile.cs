using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace GptLab.Training;

/// <summary>
/// nanoGPT's <c>config/*.py</c> files (<c>train_shakespeare_char.py</c> …) read as a config layer: their literal
/// <c>key = value</c> assignments (numbers, strings, True/False; comments and blank lines skipped). Anything else —
/// an expression, an import, a call — is refused with its line number: the file is read, never run. Keys GptLab
/// has no use for (out_dir, wandb_*, backend, compile) are set aside and named in a note; nanoGPT's dataset names map
/// to GptLab's folders (shakespeare_char → data/shakespeare-char, otherwise data/NAME as nanoGPT's data/ folder).
/// </summary>
public static partial class NanoGptConfigFile
{
    /// <summary>nanoGPT keys with no GptLab counterpart, and what to do instead.</summary>
    public static readonly IReadOnlyDictionary<string, string> Ignored = new Dictionary<string, string>
    {
        ["out_dir"] = "GptLab names the run folder: --out DIR",
        ["wandb_log"] = "GptLab logs to the run folder: gptlab serve shows it live",
        ["wandb_project"] = "", ["wandb_run_name"] = "",
        ["backend"] = "MPI is used when started by mpirun/srun",
        ["compile"] = "TorchSharp has no torch.compile",
    };

    /// <summary>The key under which the set-aside keys are listed in the returned layer (skipped by the resolver).</summary>
    public const string IgnoredKey = "_nanogpt_ignored";

    public static JsonObject Parse(string path, string text)
    {
        var layer = new JsonObject();
        var ignored = new List<string>();
        var lines = text.Replace("\r\n", "\n").Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = StripComment(lines[i]).Trim();
            if (line.Length == 0) continue;
            var m = Assignment().Match(line);
            if (!m.Success)
                throw new GptLabException($"{path} line {i + 1}: `{line}` is not a literal `key = value` assignment — GptLab reads nanoGPT config files, it does not run them");
            string key = m.Groups[1].Value, raw = m.Groups[2].Value.Trim();
            JsonNode? value = Literal(raw)
                ?? throw new GptLabException($"{path} line {i + 1}: the value of '{key}' (`{raw}`) is not a literal number, string, True or False — write its value");
            if (Ignored.ContainsKey(key)) { ignored.Add(key); continue; }
            if (key == "dataset" && value.GetValue<string>() is string name) value = DatasetFolder(name);
            layer[key] = value;
        }
        if (ignored.Count > 0) layer[IgnoredKey] = string.Join(", ", ignored.Select(k => Ignored[k].Length > 0 ? $"{k} ({Ignored[k]})" : k));
        return layer;
    }

    /// <summary>nanoGPT's dataset name (a folder under its data/) as GptLab's dataset folder.</summary>
    public static string DatasetFolder(string name) => name switch
    {
        "shakespeare_char" => "data/shakespeare-char",
        "shakespeare" => "data/shakespeare-gpt2",
        _ => name.Contains('/') ? name : $"data/{name}",
    };

    private static JsonNode? Literal(string raw)
    {
        if (raw is "True" or "False") return JsonValue.Create(raw == "True");
        if (raw.Length >= 2 && (raw[0] == '\'' || raw[0] == '"') && raw[^1] == raw[0] && raw.IndexOf(raw[0], 1) == raw.Length - 1)
            return JsonValue.Create(raw[1..^1]);
        string n = raw.Replace("_", "", StringComparison.Ordinal);
        if (Integer().IsMatch(n) && long.TryParse(n, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l)) return JsonValue.Create(l);
        if (Number().IsMatch(n) && double.TryParse(n, NumberStyles.Float, CultureInfo.InvariantCulture, out double d)) return JsonValue.Create(d);
        return null;
    }

    /// <summary>The line without a # comment (a # inside quotes stays).</summary>
    private static string StripComment(string line)
    {
        char quote = '\0';
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quote != '\0') { if (c == quote) quote = '\0'; }
            else if (c is '\'' or '"') quote = c;
            else if (c == '#') return line[..i];
        }
        return line;
    }

    [GeneratedRegex(@"^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.+)$")]
    private static partial Regex Assignment();

    [GeneratedRegex(@"^[+-]?\d+$")]
    private static partial Regex Integer();

    [GeneratedRegex(@"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")]
    private static partial Regex Number();
}
