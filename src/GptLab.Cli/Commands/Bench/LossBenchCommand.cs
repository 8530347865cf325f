using System.CommandLine;
using GptLab.Benchmarks;

namespace GptLab.Cli.Commands.Bench;

/// <summary><c>gptlab bench loss</c>: what each loss function costs.</summary>
internal static class LossBenchCommand
{
    public static Command Create()
    {
        var tokens = (new Option<int>("--tokens") { Description = "rows of logits (B·T)", DefaultValueFactory = _ => 1024 }).AtLeast(1);
        var vocab = (new Option<int>("--vocab") { Description = "vocabulary size", DefaultValueFactory = _ => 50304 }).AtLeast(2);
        var losses = new Option<string>("--losses") { Description = "comma-separated", DefaultValueFactory = _ => "cross_entropy,squentropy,mse,ce_mse" };
        var cmd = new Command("loss", "Peak extra memory and time of each loss's forward+backward (vs a naive one-hot MSE).") { tokens, vocab, losses };
        cmd.SetAction(p =>
        {
            TorchRuntime.Initialize();
            foreach (var r in LossBenchmark.Run(p.GetValue(tokens), p.GetValue(vocab), p.GetValue(losses)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)))
                Console.WriteLine($"{r.Loss}: {r.Tokens:N0} × {r.Vocab:N0} logits ({r.LogitsMb:0} MiB): peak extra {r.PeakExtraMb:0} MiB, {r.Ms:0} ms");
            return 0;
        });
        return cmd;
    }
}
