using System.CommandLine;
using System.Globalization;
using Spectre.Console;

namespace GptLab.Cli;

/// <summary>What every command shares: error handling (one line, no stack trace), console helpers.</summary>
internal static class Cli
{
    public static int Invoke(RootCommand root, string[] args)
    {
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 160;   // logs: do not wrap at 80 columns
        storages = [.. args.Select((a, i) => a.StartsWith("--storage=", StringComparison.Ordinal) ? a["--storage=".Length..] : a == "--storage" && i + 1 < args.Length ? args[i + 1] : null)
            .Append(Environment.GetEnvironmentVariable("GPTLAB_STORAGE")).OfType<string>()];
        if (Distributed.Mpi.LaunchedRank is int rank && rank > 0)
        {
            // under mpirun/srun: a command that is not data-parallel runs once, on rank 0; the other ranks of a
            // data-parallel one train and print nothing but errors
            if (!DataParallel(args)) return 0;
            Console.SetOut(TextWriter.Null);
            AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(TextWriter.Null) });
        }
        try
        {
            if (args.Length == 0) args = ["--help"];   // `gptlab` alone shows what it can do
            var parse = root.Parse(args);
            if (parse.Errors.Count > 0 && !args.Contains("--help") && !args.Contains("-h"))
            {
                // the parser's own errors look like GptLab's: one line, the flag at fault, where to read more
                var path = new List<string>();
                for (var c = parse.CommandResult; c is not null; c = c.Parent as System.CommandLine.Parsing.CommandResult)
                    if (c.Command is not RootCommand) path.Insert(0, c.Command.Name);
                string help = path.Count == 0 ? "gptlab --help" : $"gptlab {string.Join(' ', path)} --help";
                var first = parse.Errors.OrderBy(e => e.Message.StartsWith("Required command", StringComparison.Ordinal) ? 1 : 0).First();
                string? hint = parse.UnmatchedTokens.Select(t => NanoGptFlags.Hint(parse.CommandResult.Command, t)).FirstOrDefault(h => h is not null);
                Console.Error.WriteLine($"error: {FirstLine(first.Message).TrimEnd('.')}{(hint is null ? "" : $" — {hint}")} — see `{help}`");
                return 2;
            }
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e)
        {
            return Fail(e);
        }
    }

    /// <summary>The commands that train with every rank of an mpirun: train, compare, and bench's training figures.</summary>
    private static bool DataParallel(string[] args) => args.FirstOrDefault() switch
    {
        "train" or "compare" => true,
        "bench" => args.Length < 2 || args[1].StartsWith('-') || args[1] == "speedrun",
        _ => false,
    };

    /// <summary>Prints an error as one line on stderr and returns the exit code.</summary>
    public static int Fail(Exception e)
    {
        while (true)
        {
            if (e is AggregateException { InnerExceptions.Count: 1 } a) e = a.InnerExceptions[0];
            else if (e is TypeInitializationException { InnerException: Exception inner }) e = inner;
            else break;
        }
        var (message, code) = e switch
        {
            GptLabException g => (g.Message, g.ExitCode),
            Inference.InferenceException i => (i.Message, 2),
            OperationCanceledException => ("cancelled", 130),
            UnauthorizedAccessException or IOException => (e.Message, 2),
            _ => ($"unexpected error: {e.GetType().Name}: {e.Message} (set GPTLAB_DEBUG=1 for details)", 1),
        };
        Console.Error.WriteLine($"error: {Scrub(FirstLine(message))}");
        if (Environment.GetEnvironmentVariable("GPTLAB_DEBUG") == "1") Console.Error.WriteLine(Scrub(e.ToString()));
        return code;
    }

    /// <summary>The study storages this process was given (flags, GPTLAB_STORAGE): their passwords never reach the screen.</summary>
    private static string[] storages = [];

    private static string Scrub(string text) => storages.Aggregate(text, (t, s) => Sweeps.StudyUrl.Scrub(t, s));

    /// <summary>Refuses a numeric flag below its range before any work is done.</summary>
    public static int RequireAtLeast(int value, int min, string flag) =>
        value >= min ? value : throw new GptLabException($"{flag} must be ≥ {min}, got {value}");

    private static string FirstLine(string s) => s.Split('\n')[0].TrimEnd('\r');

    /// <summary>True when stdout is a terminal that can show live progress.</summary>
    public static bool Interactive =>
        !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive && Environment.GetEnvironmentVariable("CI") is null;

    public static string Human(long bytes) => bytes switch
    {
        < 1 << 10 => $"{bytes} B",
        < 1 << 20 => $"{bytes / 1024.0:0.0} KiB",
        < 1 << 30 => $"{bytes / 1048576.0:0.0} MiB",
        _ => $"{bytes / 1073741824.0:0.00} GiB",
    };
}
