// dotnet run -- MODEL_DIR [prompt] [tokens]: streams a continuation of the prompt, then the top-5 next tokens.
using GptLab.Inference;

if (args.Length < 1) { Console.Error.WriteLine("usage: generate MODEL_DIR [prompt] [tokens]"); return 2; }
try
{
    using var generator = Generator.Load(args[0]);
    string prompt = args.Length > 1 ? args[1] : "";
    int tokens = args.Length > 2 ? int.Parse(args[2]) : 200;
    Console.Write(prompt);
    foreach (var piece in generator.Generate(prompt, new GenerationOptions { MaxNewTokens = tokens, Temperature = 0.8, TopK = 200, Seed = 1337 }))
        Console.Write(piece);
    Console.WriteLine();
    foreach (var t in generator.NextTokens(prompt, top: 5))
        Console.WriteLine($"next: {t.Text.ReplaceLineEndings("\\n"),-8} {t.Probability:P1}");
    return 0;
}
catch (InferenceException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}
