using System.CommandLine;
using GptLab.Cli;
using GptLab.Cli.Commands;

var root = new RootCommand("gptlab — prepare text, train, evaluate, compare, sweep and sample small GPT models (TorchSharp).");
root.Subcommands.Add(PrepareCommand.Create());
root.Subcommands.Add(TokenizerCommand.Create());
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(EvalCommand.Create());
root.Subcommands.Add(CompareCommand.Create());
root.Subcommands.Add(SampleCommand.Create());
root.Subcommands.Add(PredictCommand.Create());
root.Subcommands.Add(SweepCommand.Create());
root.Subcommands.Add(InteropCommands.Export());
root.Subcommands.Add(InteropCommands.Import());
root.Subcommands.Add(RunsCommand.Create());
root.Subcommands.Add(ReportCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
return Cli.Invoke(root, args);
