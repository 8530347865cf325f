using GptLab.Runs;
using GptLab.Training;
using Spectre.Console;

namespace GptLab.Cli;

/// <summary>Renders a training run: a live progress bar (ETA, loss, val loss, tokens/s) on a terminal, plain log
/// lines otherwise.</summary>
internal sealed class TrainDisplay(int maxIters, string runPath)
{
    public TrainResult Run(Func<IReadOnlyList<ITrainingObserver>, TrainResult> train)
    {
        if (!Cli.Interactive) return train([new PlainObserver(runPath)]);
        TrainResult? result = null;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("starting", maxValue: Math.Max(1, maxIters));
                result = train([new LiveObserver(task, runPath)]);
                task.Value = task.MaxValue;
            });
        return result!;
    }

    private static void PrintStart(TrainingStart s, string runPath)
    {
        AnsiConsole.MarkupLineInterpolated($"[bold]{runPath}[/]");
        AnsiConsole.MarkupLineInterpolated(
            $"{s.Parameters / 1e6:0.00}M parameters, {s.TokensPerIter:N0} tokens/iter, {s.Threads} thread{(s.Threads == 1 ? "" : "s")}, {s.Dtype}, peak {s.PeakFlops / 1e9:0} GFLOP/s");
        AnsiConsole.MarkupLineInterpolated(
            $"[grey]{s.Schedule}[/]");
        AnsiConsole.MarkupLineInterpolated(
            $"[grey]decayed: {s.DecayTensors} tensors, {s.DecayParams:N0} parameters; not decayed: {s.NoDecayTensors} tensors, {s.NoDecayParams:N0} parameters[/]");
    }

    private static string Eval(MetricRecord e) =>
        $"step {e.Step}: train loss {e.TrainLoss:0.0000}, val loss {e.ValLoss:0.0000}" + (e.ValNll is double n && Math.Abs(n - (e.ValLoss ?? n)) > 1e-9 ? $" (val NLL {n:0.0000}: cross-entropy over the real vocabulary, the number that compares runs)" : "");

    private sealed class PlainObserver(string runPath) : ITrainingObserver
    {
        public void OnStart(TrainingStart start) => PrintStart(start, runPath);
        public void OnEval(MetricRecord e) => Console.WriteLine(Eval(e));
        public void OnStep(MetricRecord s) =>
            Console.WriteLine($"iter {s.Step}: loss {s.Loss:0.0000}, lr {s.Lr:0.0e+00}, {s.MsPerStep:0.0} ms, {s.TokensPerS:N0} tok/s, mfu {s.Mfu * 100:0.0}%");
        public void OnCheckpoint(string kind, string path) => Console.WriteLine($"saved checkpoint {kind} → {path}");
    }

    private sealed class LiveObserver(ProgressTask task, string runPath) : ITrainingObserver
    {
        private double? val;

        public void OnStart(TrainingStart start)
        {
            PrintStart(start, runPath);
            task.Value = start.StartStep;
        }

        public void OnEval(MetricRecord e)
        {
            val = e.ValLoss;
            AnsiConsole.MarkupLineInterpolated($"[blue]{Eval(e)}[/]");
        }

        public void OnStep(MetricRecord s)
        {
            task.Value = s.Step;
            task.Description = $"loss {s.Loss:0.000}  val {(val is double v ? v.ToString("0.000") : "–")}  {s.TokensPerS:N0} tok/s  mfu {s.Mfu * 100:0.0}%";
        }
    }
}
