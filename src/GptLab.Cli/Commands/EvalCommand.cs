using System.CommandLine;
using System.Text.Json;
using GptLab.Data;
using GptLab.Evaluation;
using GptLab.IO;
using GptLab.Sampling;
using Spectre.Console;

namespace GptLab.Cli.Commands;

/// <summary><c>gptlab eval</c>: cross-entropy over a whole split, per token, character, byte and document.</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var model = new ModelLocator();
        var data = new Option<string?>("--data") { Description = "prepared dataset (default: the one the run trained on)" };
        var split = new Option<string>("--split") { Description = "val | train", DefaultValueFactory = _ => "val" };
        split.AcceptOnlyFromAmong("val", "train");
        var stride = (new Option<int?>("--stride") { Description = "sliding window: score each token once with up to block_size − stride tokens of extra context (default: non-overlapping windows)" }).AtLeast(1);
        var batch = (new Option<int>("--batch-size") { Description = "windows per forward pass", DefaultValueFactory = _ => 8 }).AtLeast(1);
        var json = new Option<bool>("--json") { Description = "print one JSON object" };
        var window = new Option<string?>("--window") { Description = "score the split as generation sees it: slide, jump or rolling (each token from the context that window gives it)" };
        window.AcceptOnlyFromAmong("slide", "jump", "rolling");
        var keep = (new Option<int?>("--keep") { Description = "with --window jump: tokens kept at each jump (default block_size / 2)" }).AtLeast(1);
        var maxTokens = (new Option<long>("--max-tokens") { Description = "with --window: score only the first N tokens of the split (0 = all)", DefaultValueFactory = _ => 0 }).AtLeast(0L);
        var cmd = new Command("eval", "Evaluate a model on a whole split: NLL, perplexity, bits per char/byte, accuracy, per-document perplexity.")
        {
            data, split, stride, batch, json, window, keep, maxTokens,
        };
        model.AddTo(cmd);
        var onnx = new OnnxModel();
        onnx.AddTo(cmd);
        cmd.SetAction(p =>
        {
            if (onnx.Selected(p, model))
            {
                if (p.GetValue(window) is not null) throw new GptLabException("--window is for the torch engine; --engine onnx scores whole windows (give --stride for sliding ones)");
                string dir = p.GetValue(data) ?? throw new GptLabException("--engine onnx needs --data DIR: the prepared dataset to score (an exported model does not know where it trained)");
                using var gen = onnx.Load(p, model);
                using var od = DatasetLocator.Open(dir);
                if (od.Tokenizer.VocabSize != gen.Config.TokenizerVocabSize)
                    throw new GptLabException($"{dir} was tokenized with {od.Tokenizer.Kind} ({od.Tokenizer.VocabSize:N0} tokens), the model with {gen.Config.TokenizerVocabSize:N0} — prepare the data with the model's tokenizer");
                string part = p.GetValue(split)!;
                var meta = part == "val" ? od.Meta.Val : od.Meta.Train;
                var scored = Evaluator.Evaluate((ids, rows, len) =>
                {
                    var inputs = new long[rows * len];
                    for (int r = 0; r < rows; r++) Array.Copy(ids, r * (len + 1), inputs, r * len, len);
                    return Evaluator.Score(gen.Logits(inputs, rows, len), ids, rows, len, gen.Config.VocabSize, gen.Config.TokenizerVocabSize);
                }, gen.Config.BlockSize, od.Tokenizer, od.Split(part), meta.Chars, meta.Bytes, p.GetValue(stride), p.GetValue(batch), part);
                Print(scored, $"{gen.Directory} (onnx)", dir, p.GetValue(json));
                return 0;
            }
            using var ck = model.Load(p);
            using var ds = ck.OpenData(p.GetValue(data));
            string dataDir = ds.Directory;
            string name = p.GetValue(split)!;
            if (p.GetValue(window) is string mode)
            {
                var wr = WindowedEvaluator.Evaluate(ck.Model, ds.Split(name), ck.Tokenizer.VocabSize, JsonEnum.Parse<WindowMode>(mode, "--window"), p.GetValue(keep), p.GetValue(maxTokens), p.GetValue(batch));
                Console.WriteLine(p.GetValue(json)
                    ? JsonSerializer.Serialize(new { window = mode, keep = mode == "jump" ? wr.Keep : (int?)null, tokens = wr.Tokens, nll = wr.Nll, perplexity = wr.Perplexity, bits_per_token = wr.BitsPerToken, split = name }, Json.Line)
                    : $"{ck.Directory} on {dataDir} ({name}), --window {mode}{(mode == "jump" ? $" (keep {wr.Keep})" : "")}: NLL {wr.Nll:0.0000}, perplexity {wr.Perplexity:0.00}, {wr.BitsPerToken:0.0000} bits/token over {wr.Tokens:N0} tokens");
                return 0;
            }
            var info = name == "val" ? ds.Meta.Val : ds.Meta.Train;
            var r = Evaluator.Evaluate(ck.Model, ck.Tokenizer, ds.Split(name), info.Chars, info.Bytes, p.GetValue(stride), p.GetValue(batch), name);
            Print(r, Describe(ck.Directory), dataDir, p.GetValue(json));
            return 0;
        });
        return cmd;
    }

    private static void Print(EvalResult r, string modelName, string dataDir, bool asJson)
    {
        string name = r.Split;
        if (asJson)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                nll = r.Nll, perplexity = r.Perplexity, bits_per_token = r.BitsPerToken, nats_per_char = r.NatsPerChar,
                bits_per_char = r.BitsPerChar, nats_per_byte = r.NatsPerByte, accuracy = r.Accuracy, tokens = r.Tokens,
                documents = r.Documents, doc_perplexity_mean = r.DocPerplexityMean, doc_perplexity_median = r.DocPerplexityMedian,
                split = r.Split, stride = r.Stride,
                worst_documents = r.WorstDocuments.Select(d => new { index = d.Index, tokens = d.Tokens, nll = d.Nll, perplexity = d.Perplexity, text = d.Text }),
            }, Json.Line));
            return;
        }
        var t = new Table().Border(TableBorder.Rounded).AddColumns("metric", "value");
        t.Title = new TableTitle(Markup.Escape($"{modelName} on {dataDir} ({name}, {r.Tokens:N0} tokens)"));
        t.Expand();   // a title longer than the table wraps instead of being cut
        t.AddRow("NLL (nats/token)", $"{r.Nll:0.0000}");
        t.AddRow("perplexity", $"{r.Perplexity:0.000}");
        t.AddRow("bits/token", $"{r.BitsPerToken:0.0000}");
        t.AddRow("nats/char · bits/char", $"{r.NatsPerChar:0.0000} · {r.BitsPerChar:0.0000}");
        t.AddRow("nats/byte", $"{r.NatsPerByte:0.0000}");
        t.AddRow("accuracy@1", $"{r.Accuracy:P2}");
        t.AddRow("documents", $"{r.Documents:N0}: perplexity mean {r.DocPerplexityMean:0.00}, median {r.DocPerplexityMedian:0.00}");
        AnsiConsole.Write(t);
        if (r.Documents > 1)
        {
            var w = new Table().Border(TableBorder.Simple).AddColumns("doc", "tokens", "perplexity", "text");
            w.Title = new TableTitle("worst documents");
            foreach (var d in r.WorstDocuments)
                w.AddRow($"{d.Index}", $"{d.Tokens}", $"{d.Perplexity:0.0}", Markup.Escape(d.Text.ReplaceLineEndings(" ")));
            AnsiConsole.Write(w);
        }
    }

    /// <summary>"runs/x: best checkpoint (step 2,000)" rather than a path a narrow table cuts.</summary>
    private static string Describe(string checkpointDir)
    {
        string full = Path.GetFullPath(checkpointDir);
        string kind = Path.GetFileName(full);
        string? step = GptLab.Checkpoints.CheckpointStore.Exists(full) ? $" (step {GptLab.Checkpoints.CheckpointStore.ReadManifest(full).Step:N0})" : "";
        return kind is "best" or "last" && Path.GetFileName(Path.GetDirectoryName(full)) == "checkpoints"
            ? $"{Path.GetRelativePath(".", Path.GetDirectoryName(Path.GetDirectoryName(full))!)}: {kind} checkpoint{step}"
            : $"{checkpointDir}{step}";
    }
}
