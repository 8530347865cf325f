using System.CommandLine;
using System.Text.Json;
using GptLab.IO;
using GptLab.Training;
using Spectre.Console;

namespace GptLab.Cli.Commands;

/// <summary><c>gptlab presets [NAME]</c>: the shipped presets, or one preset's JSON (to read or copy).</summary>
internal static class PresetsCommand
{
    public static Command Create()
    {
        var name = new Argument<string?>("name") { Description = "a preset to print as JSON", Arity = ArgumentArity.ZeroOrOne };
        var cmd = new Command("presets", "List the presets (model shape, context, batch, iterations), or print one as JSON.") { name };
        cmd.SetAction(p =>
        {
            if (p.GetValue(name) is string n)
            {
                Console.WriteLine(ConfigResolver.LoadPreset(n).ToJsonString(Json.Options));
                return 0;
            }
            var t = new Table().Border(TableBorder.Rounded).AddColumns("preset", "layers", "heads", "width", "block", "batch", "max_iters", "dataset");
            foreach (var preset in ConfigResolver.Presets)
            {
                var c = ConfigResolver.Resolve([ConfigResolver.LoadPreset(preset)], []);
                t.AddRow(preset, $"{c.NLayer}", $"{c.NHead}", $"{c.NEmbd}", $"{c.BlockSize}", $"{c.BatchSize}", $"{c.MaxIters:N0}", Markup.Escape(c.Dataset));
            }
            AnsiConsole.Write(t);
            Console.WriteLine($"the files: {Path.Combine(AppContext.BaseDirectory, "configs")} — copy one and pass it with --config FILE");
            return 0;
        });
        return cmd;
    }
}
