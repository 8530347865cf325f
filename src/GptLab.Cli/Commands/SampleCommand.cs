using GptLab.Model;
using GptLab.Sampling;
using GptLab.Tokenizers;
using Spectre.Console;

namespace GptLab.Cli.Commands;

/// <summary><c>gptlab sample</c>: generate text from a run or checkpoint.</summary>
internal static partial class SampleCommand
{
    /// <summary>Prints <paramref name="count"/> samples of a model (the end of `gptlab train`).</summary>
    public static void PrintSamples(Gpt model, ITokenizer tokenizer, int count, int tokens, int seed)
    {
        int start = tokenizer.EosId ?? TokenizerExtensions.Encode(tokenizer, "\n").FirstOrDefault();
        var outputs = Sampler.Generate(model, [start], count, new SamplingOptions
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
