using System.CommandLine;
using System.Diagnostics;
using GptLab.Data;
using Spectre.Console;

namespace GptLab.Cli.Commands;

/// <summary><c>gptlab prepare SOURCE</c>: text → train.bin / val.bin / tokenizer / meta.json.</summary>
internal static class PrepareCommand
{
    public static Command Create()
    {
        var source = new Argument<string?>("source")
        {
            Description = "a text file, a folder, a .jsonl or .parquet file, an http(s)/file URL, or a built-in name (shakespeare, tinystories, tinystories-valid, hackernews)",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var url = new Option<string?>("--url") { Description = "download this URL (resumable, cached) and prepare it" };
        var tokenizer = new Option<string>("--tokenizer") { Description = "char | gpt2 | bpe | word", DefaultValueFactory = _ => "char" };
        tokenizer.AcceptOnlyFromAmong("char", "gpt2", "bpe", "word");
        var outDir = new Option<string?>("--out") { Description = "output folder (default data/<name>-<tokenizer>)" };
        var force = new Option<bool>("--force") { Description = "replace an existing dataset" };
        var format = new Option<string?>("--format") { Description = "text | jsonl | parquet (default: from the file extension)" };
        format.AcceptOnlyFromAmong("text", "jsonl", "parquet");
        var field = new Option<string?>("--field", "--column") { Description = "JSON Lines field / Parquet column holding the text (default text)" };
        var separator = new Option<string?>("--doc-separator") { Description = "a line that separates documents, e.g. <|endoftext|>" };
        var perLine = new Option<bool>("--doc-per-line") { Description = "each non-empty line is a document (headlines)" };
        var valFraction = new Option<double>("--val-fraction") { Description = "share of the text for validation", DefaultValueFactory = _ => 0.1 };
        var splitBy = new Option<string>("--split-by") { Description = "tail (nanoGPT: the last part of the text) | documents", DefaultValueFactory = _ => "tail" };
        splitBy.AcceptOnlyFromAmong("tail", "documents");
        var shuffle = new Option<bool>("--shuffle") { Description = "with --split-by documents: pick validation documents at random" };
        var seed = new Option<int>("--seed") { Description = "seed for --shuffle", DefaultValueFactory = _ => 1337 };
        var clean = new Option<string[]>("--clean") { Description = "mojibake, quotes, join-lines or all (repeat or comma-separate)", AllowMultipleArgumentsPerToken = true };
        var dropLines = new Option<string?>("--drop-lines") { Description = "drop lines matching this regex (page headers)" };
        var glob = new Option<string>("--glob") { Description = "files to read from a folder", DefaultValueFactory = _ => "*.txt" };
        var sha = new Option<string?>("--sha256") { Description = "expected sha256 of a downloaded file" };
        var cacheDir = new Option<string?>("--cache-dir") { Description = "where downloads are cached (default ~/.cache/gptlab or $GPTLAB_CACHE)" };
        var vocabSize = (new Option<int>("--vocab-size") { Description = "bpe: vocabulary size to train; word: the most frequent words kept (the rest are <unk>)", DefaultValueFactory = _ => 4096 }).AtLeast(257);
        var minCount = (new Option<int>("--min-count") { Description = "word: words seen fewer times are <unk>", DefaultValueFactory = _ => 1 }).AtLeast(1);
        var special = new Option<string>("--special") { Description = "bpe: comma-separated special tokens", DefaultValueFactory = _ => "<|endoftext|>" };
        var tokenizerFile = new Option<string?>("--tokenizer-file") { Description = "use this trained tokenizer.json (from `gptlab tokenizer train`) instead of training one" };

        var cmd = new Command("prepare", "Turn text into training data: tokenize, split, write token shards.")
        {
            source, url, tokenizer, outDir, force, format, field, separator, perLine, valFraction, splitBy, shuffle, seed, clean, dropLines, glob, sha, cacheDir,
            vocabSize, minCount, special, tokenizerFile,
        };
        cmd.SetAction(p =>
        {
            string? src = p.GetValue(source) ?? p.GetValue(url);
            if (src == null) throw new GptLabException("give a SOURCE (a file, folder, URL or built-in name) or --url URL");
            var (corpus, name) = Resolve(src, p.GetValue(format), p.GetValue(glob)!, p.GetValue(sha), p.GetValue(cacheDir));
            var mode = p.GetValue(perLine) ? DocumentMode.PerLine : p.GetValue(separator) != null ? DocumentMode.Separator : corpus.Mode;
            corpus = corpus.With(mode, p.GetValue(separator), p.GetValue(field));
            string? file = p.GetValue(tokenizerFile);
            string tok = file != null ? "bpe" : p.GetValue(tokenizer)!;
            var options = new PrepareOptions
            {
                Source = corpus,
                Name = name,
                OutDir = p.GetValue(outDir) ?? Path.Combine("data", $"{name}-{tok}"),
                Tokenizer = tok,
                Force = p.GetValue(force),
                ValFraction = p.GetValue(valFraction),
                SplitByDocuments = p.GetValue(splitBy) == "documents",
                Shuffle = p.GetValue(shuffle),
                Seed = p.GetValue(seed),
                Clean = CleanOptions.Parse(p.GetValue(clean) ?? [], p.GetValue(dropLines)),
                VocabSize = p.GetValue(vocabSize),
                MinCount = p.GetValue(minCount),
                Specials = ParseSpecials(p.GetValue(special)!),
                TokenizerFactory = file == null ? null : () => Tokenizers.BpeTokenizer.FromHuggingFaceFile(file),
            };
            var sw = Stopwatch.StartNew();
            var meta = WithProgress(progress => DatasetPreparer.Prepare(options, progress));
            sw.Stop();
            var table = new Table().Border(TableBorder.Rounded).AddColumns("", "train", "val");
            table.AddRow("tokens", $"{meta.Train.Tokens:N0}", $"{meta.Val.Tokens:N0}");
            table.AddRow("documents", $"{meta.Train.Documents:N0}", $"{meta.Val.Documents:N0}");
            table.AddRow("characters", $"{meta.Train.Chars:N0}", $"{meta.Val.Chars:N0}");
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLineInterpolated(
                $"[green]wrote[/] {options.OutDir}: tokenizer {meta.Tokenizer.Kind}, vocab {meta.Tokenizer.VocabSize:N0}, {meta.TokenDtype}, {meta.Source.Bytes / 1048576.0 / sw.Elapsed.TotalSeconds:0.0} MB/s");
            return 0;
        });
        return cmd;
    }

    internal static string[] ParseSpecials(string s) =>
        s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToArray();

    internal static (CorpusSource Corpus, string Name) Resolve(string src, string? format, string glob, string? sha256, string? cacheDir)
    {
        SourceFormat? fmt = format switch { "text" => SourceFormat.Text, "jsonl" => SourceFormat.Jsonl, "parquet" => SourceFormat.Parquet, _ => null };
        if (src == "shakespeare") return (CorpusSource.BuiltInShakespeare(), "shakespeare");
        var named = NamedSource.Find(src);
        Uri? uri = named?.Url is string u ? new Uri(u)
            : src.Contains("://") && Uri.TryCreate(src, UriKind.Absolute, out var parsed) && parsed.Scheme is "http" or "https" or "file" ? parsed : null;
        if (uri == null)
        {
            string name = src == "-" ? "stdin" : MeaningfulName(src);
            return (CorpusSource.FromPath(src, fmt, glob), Sanitize(name));
        }
        var downloader = new Downloader(cacheDir ?? Downloader.DefaultCacheDir);
        string file = DownloadWithProgress(downloader, uri, sha256);
        var corpus = CorpusSource.FromPath(file, fmt ?? named?.Format ?? CorpusSource.GuessFormat(uri.AbsolutePath), glob);
        if (named != null) corpus = corpus.With(named.Mode, null, named.Field);
        return (corpus, named?.Name ?? Sanitize(Path.GetFileNameWithoutExtension(uri.AbsolutePath)));
    }

    /// <summary>A file's or folder's name, or its parent's when the folder has a generic name
    /// (<c>…/kjv/data</c> → kjv, not data).</summary>
    internal static string MeaningfulName(string path)
    {
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        string name = Path.GetFileNameWithoutExtension(full);
        bool generic = Directory.Exists(full) && name.ToLowerInvariant() is "data" or "text" or "texts" or "txt" or "corpus" or "input" or "raw" or "files" or "src" or "docs" or "train";
        return generic && Path.GetFileName(Path.GetDirectoryName(full)) is { Length: > 0 } parent ? parent : name;
    }

    private static string Sanitize(string name)
    {
        var s = new string(name.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' ? char.ToLowerInvariant(c) : '-').ToArray()).Trim('-');
        return s.Length == 0 ? "corpus" : s;
    }

    private static string DownloadWithProgress(Downloader downloader, Uri uri, string? sha256)
    {
        if (!Cli.Interactive)
        {
            Console.WriteLine($"downloading {uri} …");
            return downloader.GetAsync(uri, null, sha256).GetAwaiter().GetResult();
        }
        string result = "";
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask($"download {Path.GetFileName(uri.AbsolutePath)}", maxValue: 1);
                var progress = new Progress<DownloadProgress>(d =>
                {
                    if (d.Total is long t) task.MaxValue = t;
                    task.Value = d.Bytes;
                });
                result = downloader.GetAsync(uri, null, sha256, progress).GetAwaiter().GetResult();
                task.Value = task.MaxValue;
            });
        return result;
    }

    private static DatasetMeta WithProgress(Func<IProgress<PrepareProgress>?, DatasetMeta> run)
    {
        if (!Cli.Interactive) return run(null);
        DatasetMeta? meta = null;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var scan = ctx.AddTask("scan", maxValue: 1);
                var encode = ctx.AddTask("encode", maxValue: 1);
                meta = run(new SyncProgress<PrepareProgress>(p =>
                {
                    var task = p.Stage == "scan" ? scan : encode;
                    task.MaxValue = Math.Max(1, p.TotalBytes);
                    task.Value = p.Bytes;
                }));
                scan.Value = scan.MaxValue;
                encode.Value = encode.MaxValue;
            });
        return meta!;
    }
}

/// <summary>An IProgress that reports on the calling thread (Progress&lt;T&gt; posts to the thread pool).</summary>
internal sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
