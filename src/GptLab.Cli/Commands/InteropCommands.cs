using System.CommandLine;
using GptLab.Checkpoints;
using GptLab.Export;
using GptLab.IO;
using Spectre.Console;

namespace GptLab.Cli.Commands;

/// <summary><c>gptlab export</c> and <c>gptlab import</c>: weights in the Hugging Face GPT-2 layout.</summary>
internal static class InteropCommands
{
    public static Command Export()
    {
        var model = new ModelLocator();
        var format = new Option<string>("--format")
        {
            Description = "hf: model.safetensors + config.json (Hugging Face GPT2LMHeadModel); onnx: a folder with model.onnx (decoder with KV cache), "
                + "config.json and tokenizer.json (Hugging Face Optimum's layout) for ONNX Runtime, GptLab.Inference and transformers.js; "
                + "gguf: one FILE.gguf for llama.cpp (its gpt2 architecture: GPT-2-shaped models)",
            DefaultValueFactory = _ => "hf",
        };
        format.AcceptOnlyFromAmong("hf", "onnx", "gguf");
        var quantize = new Option<string>("--quantize") { Description = "onnx: none (fp32) or int8 (weight-only, per output channel, symmetric); gguf: none (F32) or int8 (llama.cpp's Q8_0)", DefaultValueFactory = _ => "none" };
        quantize.AcceptOnlyFromAmong("none", "int8");
        var outDir = new Option<string>("--out") { Description = "the folder to write (gguf: the .gguf file)", Required = true };
        var force = new Option<bool>("--force") { Description = "write into a folder that is not empty" };
        var cmd = new Command("export", "Write a checkpoint for other tools: Hugging Face GPT-2 weights, or ONNX with a KV cache (fp32 or int8).") { format, quantize, outDir, force };
        model.AddTo(cmd);
        cmd.SetAction(p =>
        {
            string fmt = p.GetValue(format)!, target = p.GetValue(outDir)!;
            var q = JsonEnum.Parse<Quantization>(p.GetValue(quantize)!, "--quantize");
            if (fmt == "hf" && q != Quantization.None) throw new GptLabException("--quantize is for --format onnx or gguf");
            if (fmt == "gguf") Runs.OutputPaths.RequireNewFile(target, p.GetValue(force), "--out");
            else Runs.OutputPaths.RequireOwnFolder(target, p.GetValue(force), "--out");
            string dir = model.Resolve(p);
            TorchRuntime.Initialize(p.GetValue(model.Threads));
            if (fmt == "gguf")
            {
                using var ck = CheckpointStore.Load(dir);
                var g = GgufExport.Write(ck.Model, ck.Tokenizer, target, q);
                AnsiConsole.MarkupLineInterpolated($"[green]wrote[/] {target} (GGUF v3, llama.cpp gpt2, {g.Tensors} tensors, {g.Bytes / 1048576.0:0.0} MiB, {(q == Quantization.Int8 ? "Q8_0" : "F32")})");
                return 0;
            }
            if (fmt == "onnx")
            {
                using var ck = CheckpointStore.Load(dir);
                var r = OnnxExport.Write(ck, target, q);
                AnsiConsole.MarkupLineInterpolated($"[green]wrote[/] {target}/{OnnxExport.ModelFile} ({r.ModelBytes / 1048576.0:0.0} MiB, {r.Nodes:N0} nodes, {JsonEnum.Name(q)}), config.json and tokenizer.json");
                return 0;
            }
            Gpt2Interop.Export(dir, target);
            AnsiConsole.MarkupLineInterpolated($"[green]wrote[/] {target}/model.safetensors and config.json");
            return 0;
        });
        return cmd;
    }

    public static Command Import()
    {
        var source = new Argument<string>("source") { Description = "a folder with model.safetensors (+ config.json) or the .safetensors file (GPT-2 from Hugging Face); nanoGPT's ckpt.pt or its out_dir; or nanoGPT's data folder (train.bin, val.bin, meta.pkl) to import as a dataset" };
        var outDir = new Option<string>("--out") { Description = "the checkpoint folder to write", Required = true };
        var nHead = (new Option<int?>("--n-head") { Description = "attention heads, when there is no config.json" }).AtLeast(1);
        var tokenizerFrom = new Option<string?>("--tokenizer-from") { Description = "a prepared dataset whose tokenizer the model uses (default: GPT-2's for a GPT-2 vocabulary)" };
        var force = new Option<bool>("--force") { Description = "replace an existing checkpoint" };
        var meta = new Option<string?>("--meta") { Description = "nanoGPT ckpt.pt: the dataset's meta.pkl (char vocabulary)" };
        var dataOut = new Option<string?>("--data-out") { Description = "nanoGPT ckpt.pt: also import train.bin/val.bin beside meta.pkl as a dataset here (default data/<that folder's name> when they exist)" };
        var cmd = new Command("import", "Turn GPT-2-layout weights or a nanoGPT ckpt.pt into a GptLab checkpoint (sample, eval, or fine-tune with --set init_from=DIR).")
        {
            source, outDir, nHead, tokenizerFrom, force, meta, dataOut,
        };
        cmd.SetAction(p =>
        {
            TorchRuntime.Initialize();
            string src = p.GetValue(source)!;
            if (Data.Dataset.IsNanoGptFolder(src) && NanoGptImport.IsNanoGptCheckpoint(src) is null)
            {
                // nanoGPT's data folder alone: train.bin/val.bin (+ meta.pkl) become a GptLab dataset in --out
                var (dm, reusedData) = NanoGptImport.ImportDataset(src, p.GetValue(outDir)!, p.GetValue(force));
                if (reusedData) AnsiConsole.MarkupLineInterpolated($"[green]{p.GetValue(outDir)}[/] already holds this nanoGPT dataset: nothing to do");
                else AnsiConsole.MarkupLineInterpolated($"[green]wrote[/] {p.GetValue(outDir)}: nanoGPT dataset, {dm.Tokenizer.Kind} tokenizer, vocab {dm.Tokenizer.VocabSize:N0}, {dm.Train.Tokens:N0} + {dm.Val.Tokens:N0} tokens (read in place as uint16; {src} is left as it is)");
                return 0;
            }
            if (NanoGptImport.IsNanoGptCheckpoint(src) is string pt)
            {
                src = pt;
                string? metaPath = p.GetValue(meta);
                string? dataDir = p.GetValue(dataOut);
                if (dataDir is null && metaPath is not null && File.Exists(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(metaPath))!, "train.bin")))
                    dataDir = Path.Combine("data", Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(metaPath))!));
                var n = NanoGptImport.Import(src, p.GetValue(outDir)!, metaPath, p.GetValue(force), dataDir);
                if (n.MetaFound is string mf) AnsiConsole.MarkupLineInterpolated($"[grey]vocabulary from {mf} (the checkpoint's dataset, as nanoGPT's sample.py finds it)[/]");
                AnsiConsole.MarkupLineInterpolated(
                    $"[green]wrote[/] {p.GetValue(outDir)}: nanoGPT model at iteration {n.Step:N0} (best val loss {n.BestValLoss:0.0000}): {n.Model.NLayer} layers, {n.Model.NHead} heads, {n.Model.NEmbd} wide, context {n.Model.BlockSize}, vocab {n.Model.VocabSize:N0}, {n.Tokenizer} tokenizer{(n.Dataset is string d ? $"; dataset {d}{(n.DatasetReused ? " (already imported: reused)" : "")}" : "")}");
                return 0;
            }
            var m = Gpt2Interop.Import(p.GetValue(source)!, p.GetValue(outDir)!, p.GetValue(nHead), p.GetValue(tokenizerFrom), p.GetValue(force));
            AnsiConsole.MarkupLineInterpolated(
                $"[green]wrote[/] {p.GetValue(outDir)}: {m.Model.NLayer} layers, {m.Model.NHead} heads, {m.Model.NEmbd} wide, context {m.Model.BlockSize}, vocab {m.Model.VocabSize:N0}, {m.Model.Activation}");
            return 0;
        });
        return cmd;
    }
}
