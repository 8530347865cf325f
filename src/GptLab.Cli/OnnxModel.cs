using System.CommandLine;
using GptLab.Inference;

namespace GptLab.Cli;

/// <summary>--engine and --model, shared by sample and eval: torch runs the checkpoint (--run/--checkpoint) through
/// libtorch; onnx runs an exported folder (--model) through ONNX Runtime (GptLab.Inference).</summary>
internal sealed class OnnxModel
{
    public Option<string> Engine { get; } = new("--engine") { Description = "torch (a run or checkpoint, through libtorch) or onnx (a folder `gptlab export --format onnx` wrote, through ONNX Runtime; give --model)", DefaultValueFactory = _ => "torch" };
    public Option<string?> Model { get; } = new("--model") { Description = "--engine onnx: the exported model folder" };

    public OnnxModel() => Engine.AcceptOnlyFromAmong("torch", "onnx");

    public void AddTo(Command cmd)
    {
        cmd.Options.Add(Engine);
        cmd.Options.Add(Model);
    }

    public bool Selected(ParseResult p, ModelLocator locator)
    {
        bool onnx = p.GetValue(Engine) == "onnx";
        if (onnx && (p.GetValue(locator.Run) is not null || p.GetValue(locator.Checkpoint) is not null))
            throw new GptLabException("--engine onnx runs an exported folder: give --model DIR (make one with `gptlab export --format onnx --run … --out DIR`), not --run/--checkpoint");
        if (onnx && p.GetValue(Model) is null) throw new GptLabException("--engine onnx needs --model DIR (make one with `gptlab export --format onnx --run … --out DIR`)");
        if (!onnx && p.GetValue(Model) is not null) throw new GptLabException("--model is for --engine onnx; the torch engine reads --run or --checkpoint");
        return onnx;
    }

    public Generator Load(ParseResult p, ModelLocator locator) => Generator.Load(p.GetValue(Model)!, p.GetValue(locator.Threads) ?? 1);
}
