using GptLab.Data;
using Spectre.Console;

namespace GptLab.Cli;

/// <summary>Opens a prepared dataset; the built-in Tiny Shakespeare datasets are prepared on first use.</summary>
internal static class DataLocator
{
    public static Dataset Open(string dir)
    {
        if (!File.Exists(Path.Combine(dir, DatasetMeta.FileName)))
        {
            string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(dir));
            string? tokenizer = name switch { "shakespeare-char" => "char", "shakespeare-gpt2" => "gpt2", _ => null };
            if (tokenizer == null || Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any())
                throw new GptLabException($"{dir} is not a prepared dataset (no meta.json) — run `gptlab prepare SOURCE --out {dir}` first");
            AnsiConsole.MarkupLineInterpolated($"[grey]preparing the built-in Tiny Shakespeare ({tokenizer}) into {dir} …[/]");
            DatasetPreparer.Prepare(new PrepareOptions
            {
                Source = CorpusSource.BuiltInShakespeare(), Name = "shakespeare", OutDir = dir, Tokenizer = tokenizer,
            });
        }
        return Dataset.Open(dir);
    }
}
