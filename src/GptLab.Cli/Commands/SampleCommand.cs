using System.CommandLine;
using System.Text.Json;
using GptLab.IO;
using GptLab.Model;
using GptLab.Sampling;
using GptLab.Tokenizers;
using Spectre.Console;

namespace GptLab.Cli.Commands;

/// <summary><c>gptlab sample</c>: generate text from a run or checkpoint.</summary>
internal static class SampleCommand
{
    public static Command Create()
    {
        var model = new ModelLocator();
        var prompt = new Option<string?>("--prompt") { Description = "text to continue (default: start of a document)" };
        var promptFile = new Option<string?>("--prompt-file") { Description = "read the prompt from a file" };
        var num = (new Option<int>("--num-samples") { Description = "how many samples (generated together as a batch)", DefaultValueFactory = _ => 1 }).AtLeast(1);
        var maxNew = (new Option<int>("--max-new-tokens") { Description = "tokens to generate per sample", DefaultValueFactory = _ => 500 }).AtLeast(0);
        var temperature = (new Option<double>("--temperature") { Description = "0 = greedy; < 1 sharper, > 1 more random", DefaultValueFactory = _ => 0.8 }).AtLeast(0.0);
        var topK = (new Option<int>("--top-k") { Description = "keep only the k most likely tokens (0 = off)", DefaultValueFactory = _ => 200 }).AtLeast(0);
        var topP = (new Option<double>("--top-p") { Description = "nucleus: keep the smallest set with this much probability (1 = off)", DefaultValueFactory = _ => 1.0 }).Above(0.0, 1.0);
        var seed = new Option<long>("--seed") { Description = "same seed, same text", DefaultValueFactory = _ => 1337 };
        var stopAtEos = new Option<bool>("--stop-at-eos") { Description = "end a sample at the end-of-text token" };
        var stream = new Option<bool>("--stream") { Description = "print tokens as they are generated (one sample)" };
        var output = new Option<string?>("--output") { Description = "also write the samples to this .jsonl file (a new file; --force replaces one)" };
        var force = new Option<bool>("--force") { Description = "replace the --output file if it exists" };
        var noCache = new Option<bool>("--no-cache") { Description = "recompute the whole context for every token (no KV cache)" };
        var window = new Option<string>("--window")
        {
            Description = "past block_size: jump (fast, any model: keep the last --keep tokens, re-encode them once, continue cached), "
                + "rolling (fastest, RoPE models: evict the oldest cached token) or slide (nanoGPT's exact crop: a full forward per token)",
            DefaultValueFactory = _ => "jump",
        };
        window.AcceptOnlyFromAmong("jump", "rolling", "slide");
        var keep = (new Option<int?>("--keep") { Description = "jump: tokens kept at each jump (default block_size / 2)" }).AtLeast(1);
        var stats = new Option<bool>("--stats") { Description = "print the first token's latency and tokens/s (inside and past block_size)" };
        var onnx = new OnnxModel();
        var cmd = new Command("sample", "Generate text with temperature, top-k and top-p sampling.")
        {
            prompt, promptFile, num, maxNew, temperature, topK, topP, seed, stopAtEos, stream, output, force, noCache, window, keep, stats,
        };
        model.AddTo(cmd);
        onnx.AddTo(cmd);
        cmd.SetAction(p =>
        {
            if (p.GetValue(output) is string target) Runs.OutputPaths.RequireNewFile(target, p.GetValue(force), "--output");
            string? text = p.GetValue(prompt);
            if (p.GetValue(promptFile) is string f)
            {
                if (!File.Exists(f)) throw new GptLabException($"{f}: no such prompt file");
                text = File.ReadAllText(f);
            }
            var windowMode = JsonEnum.Parse<WindowMode>(p.GetValue(window)!, "--window");
            bool useOnnx = onnx.Selected(p, model);
            if (useOnnx && (p.GetValue(noCache) || windowMode != WindowMode.Jump))
                throw new GptLabException("--engine onnx always decodes with its KV cache and --window jump; drop --no-cache and --window");
            using var gen = useOnnx ? onnx.Load(p, model) : null;
            using var ck = useOnnx ? null : model.Load(p);
            ITokenizer tok = gen is not null ? new OnnxTokenizer(gen) : ck!.Tokenizer;
            int[] ids = Sampler.PromptIds(tok, text ?? "");
            var options = new SamplingOptions
            {
                MaxNewTokens = p.GetValue(maxNew), Temperature = p.GetValue(temperature), TopK = p.GetValue(topK), TopP = p.GetValue(topP),
                Seed = p.GetValue(seed), UseCache = !p.GetValue(noCache), StopToken = p.GetValue(stopAtEos) ? tok.EosId : null,
                VocabLimit = tok.VocabSize, Window = windowMode, Keep = p.GetValue(keep),
            };
            int rows = p.GetValue(num);
            bool streaming = p.GetValue(stream) && rows == 1;
            var decoder = streaming ? new StreamingDecoder(tok) : null;
            if (streaming) Console.Write(text);
            var timing = new GenerationTiming(ids.Length, gen?.Config.BlockSize ?? ck!.Model.Config.BlockSize);
            void OnTokens(int[] t)
            {
                timing.Token();
                if (streaming) Console.Write(decoder!.Push(t[0]));
            }
            var outputs = gen is not null
                ? gen.GenerateIds(ids, rows, new Inference.GenerationOptions
                {
                    MaxNewTokens = options.MaxNewTokens, Temperature = options.Temperature, TopK = options.TopK, TopP = options.TopP,
                    Seed = options.Seed, StopAtEos = options.StopToken is not null, Keep = options.Keep,
                }, OnTokens)
                : Sampler.Generate(ck!.Model, ids, rows, options, OnTokens);
            if (streaming) Console.WriteLine();
            string? outFile = p.GetValue(output);
            var lines = new List<string>();
            for (int i = 0; i < outputs.Length; i++)
            {
                string completion = tok.Decode(outputs[i].AsSpan());
                if (!streaming)
                {
                    if (rows > 1) AnsiConsole.Write(new Rule($"[grey]sample {i + 1}[/]").LeftJustified());
                    Console.WriteLine((text ?? "") + completion);
                }
                lines.Add(JsonSerializer.Serialize(new { sample = i, seed = options.Seed, prompt = text ?? "", completion, tokens = outputs[i].Length }, Json.Line));
            }
            if (outFile is not null) AtomicFile.WriteAllLines(outFile, lines);
            if (p.GetValue(stats)) Console.WriteLine(timing.Summary(rows));
            return 0;
        });
        return cmd;
    }

    /// <summary>Prints <paramref name="count"/> samples of a model (the end of `gptlab train`).</summary>
    public static void PrintSamples(Gpt model, ITokenizer tokenizer, int count, int tokens, int seed)
    {
        if (count == 0) return;
        var outputs = Sampler.Generate(model, Sampler.PromptIds(tokenizer, ""), count, new SamplingOptions
        {
            MaxNewTokens = tokens, Temperature = 0.8, TopK = 200, Seed = seed, VocabLimit = tokenizer.VocabSize,
        });
        foreach (var o in outputs)
        {
            AnsiConsole.Write(new Rule("[grey]sample[/]").LeftJustified());
            Console.WriteLine(tokenizer.Decode(o.AsSpan()));
        }
        AnsiConsole.Write(new Rule());
    }
}
