using System.CommandLine;
using System.Diagnostics;
using GptLab.Data;
using Spectre.Console;

namespace GptLab.Cli.Commands;

/// <summary><c>gptlab tokenizer train SOURCE --vocab-size N --out FILE</c>: a byte-level BPE trained on a corpus.</summary>
internal static class TokenizerCommand
{
    public static Command Create()
    {
        var source = new Argument<string>("source") { Description = "a text file, folder, .jsonl, .parquet, URL or built-in name" };
        var vocab = (new Option<int>("--vocab-size") { Description = "vocabulary size (256 bytes + merges + special tokens)", Required = true }).AtLeast(257);
        var outFile = new Option<string>("--out") { Description = "the tokenizer.json to write (a .tiktoken ranks file is written beside it)", Required = true };
        var special = new Option<string>("--special") { Description = "comma-separated special tokens", DefaultValueFactory = _ => "<|endoftext|>" };
        var format = new Option<string?>("--format") { Description = "text | jsonl | parquet" };
        var field = new Option<string?>("--field", "--column") { Description = "JSON Lines field / Parquet column" };
        var separator = new Option<string?>("--doc-separator") { Description = "a line that separates documents" };
        var force = new Option<bool>("--force") { Description = "overwrite an existing file" };
        var train = new Command("train", "Train a byte-level BPE tokenizer (GPT-2 style) on a corpus.") { source, vocab, outFile, special, format, field, separator, force };
        train.SetAction(p =>
        {
            string outPath = p.GetValue(outFile)!;
            if (File.Exists(outPath) && !p.GetValue(force)) throw new GptLabException($"{outPath} exists — pass --force to replace it");
            var (corpus, _) = PrepareCommand.Resolve(p.GetValue(source)!, p.GetValue(format), "*.txt", null, null);
            corpus = corpus.With(p.GetValue(separator) != null ? DocumentMode.Separator : corpus.Mode, p.GetValue(separator), p.GetValue(field));
            var specials = PrepareCommand.ParseSpecials(p.GetValue(special)!);
            var sw = Stopwatch.StartNew();
            var words = Tokenizers.BpeTrainer.CountWords(corpus.ReadPieces().Select(x => x.Text), specials);
            double countS = sw.Elapsed.TotalSeconds;
            var model = Tokenizers.BpeTrainer.Train(words, p.GetValue(vocab), specials);
            var tok = new Tokenizers.BpeTokenizer(model);
            tok.SaveAs(outPath, Path.ChangeExtension(outPath, ".tiktoken"));
            AnsiConsole.MarkupLineInterpolated(
                $"[green]wrote[/] {outPath}: vocab {tok.VocabSize:N0} ({model.Merges.Count:N0} merges, {words.Count:N0} distinct words), counted in {countS:0.0} s, merged in {sw.Elapsed.TotalSeconds - countS:0.0} s");
            return 0;
        });
        return new Command("tokenizer", "Tokenizer tools.") { train };
    }
}
