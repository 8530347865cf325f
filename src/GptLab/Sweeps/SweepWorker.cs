using GptLab.Checkpoints;
using GptLab.Data;
using GptLab.IO;
using GptLab.Runs;
using GptLab.Training;

namespace GptLab.Sweeps;

/// <summary>
/// Claims trials from a study and trains them until none are left. A trial is an ordinary run folder
/// (<c>trials/NNNN</c>); a trial promoted to a longer phase resumes from its checkpoint, and so does one whose
/// worker died mid-way.
/// </summary>
public sealed class SweepWorker(StudyLocation at, string workerId, int threads, Action<string>? log = null)
{
    public static string TrialDir(string sweepDir, int configId) => Path.Combine(sweepDir, "trials", configId.ToString("D4"));

    /// <summary>Runs trials until the study has no work left or <paramref name="stop"/> fires; returns trials run.</summary>
    public int Run(CancellationToken stop = default)
    {
        using var study = Study.Open(at);
        var spec = study.Spec;
        var datasets = new Dictionary<string, Dataset>();
        int count = 0;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var trial = study.Claim(workerId);
                if (trial is null)
                {
                    if (!study.HasWork()) break;
                    stop.WaitHandle.WaitOne(TimeSpan.FromSeconds(1));   // others are running: a promotion may follow
                    continue;
                }
                RunTrial(study, spec, trial, datasets, stop);
                count++;
            }
        }
        finally
        {
            foreach (var d in datasets.Values) d.Dispose();
        }
        return count;
    }

    private void RunTrial(IStudyStorage study, SweepSpec spec, Trial trial, Dictionary<string, Dataset> datasets, CancellationToken stop)
    {
        log?.Invoke($"[{workerId}] trial {trial.ConfigId} phase {trial.Phase} ({trial.Iters} iters): {trial.Params}");
        var run = new RunDirectory(TrialDir(at.Artifacts, trial.ConfigId));
        using var lease = new TrialLease(study, trial, spec.HeartbeatTimeout);
        using var prune = new CancellationTokenSource();
        using var halt = CancellationTokenSource.CreateLinkedTokenSource(stop, lease.Lost, prune.Token);   // the user, a lost lease, or the pruner
        TrainingSession? session = null;   // read after it ends: the step a lost lease stopped it at
        var reporter = new EvalReporter(study, trial, spec.Pruner, prune);
        var clock = System.Diagnostics.Stopwatch.StartNew();   // a pruned trial's time counts too (CPU spent)
        void Pruned()
        {
            if (!study.Prune(trial, reporter.PrunedValue, clock.Elapsed.TotalSeconds, reporter.PrunedReason!))
                throw new LeaseLostException($"trial {trial.ConfigId} was taken over before it could be marked pruned");
            log?.Invoke($"[{workerId}] trial {trial.ConfigId} phase {trial.Phase}: {reporter.PrunedReason}");
        }
        try
        {
            var config = spec.TrialConfig(trial.Params, trial.Phase) with { Threads = threads };
            if (!datasets.TryGetValue(config.Dataset, out var data)) datasets[config.Dataset] = data = DatasetLocator.Open(config.Dataset, log);
            var rec = new RecordingObserver();
            TrainResult result;
            var options = new SessionOptions { Dataset = data, Log = log is null ? null : m => log($"[{workerId}] {m}"), Fence = lease };
            using (session = TrainingSession.StartOrContinue(config, run.Path, options, halt.Token))
                result = session.Train([rec, reporter], halt.Token);
            lease.Check();   // a stop caused by a lost lease is not the user's: say so below, release nothing
            if (result.Outcome == TrainOutcome.Stopped && reporter.PrunedReason is not null)
            {
                Pruned();   // its folder and checkpoint stay, as after any stop
                return;
            }
            if (result.Outcome == TrainOutcome.Stopped)
            {
                study.Release(trial);   // stopped by the user: another session continues it
                return;
            }
            var evals = run.ReadMetrics().Where(m => m.Kind == "eval" && m.ValNll is not null).ToList();
            double nll = evals.Count > 0 ? evals[^1].ValNll!.Value : double.NaN;
            double metric = spec.Metric switch
            {
                SweepMetric.ValLoss => evals.Count > 0 ? evals[^1].ValLoss ?? double.NaN : double.NaN,
                SweepMetric.Perplexity => Math.Exp(nll),
                SweepMetric.NatsPerChar => nll * data.Meta.Val.Tokens / Math.Max(1, data.Meta.Val.Chars),
                _ => nll,
            };
            var speeds = rec.Steps.Where(s => s.TokensPerS is > 0).Select(s => s.TokensPerS!.Value).ToList();
            if (!study.Complete(trial, metric, nll, result.WallS, speeds.Count > 0 ? Measure.Median(speeds) : 0))
                throw new LeaseLostException($"trial {trial.ConfigId}'s result came after another worker took it over");
            log?.Invoke($"[{workerId}] trial {trial.ConfigId} phase {trial.Phase}: {spec.MetricName} {metric:0.0000}");
        }
        catch (Exception e) when (e is LeaseLostException || (e is OperationCanceledException && lease.IsLost))
        {
            int step = session?.Step ?? 0;
            log?.Invoke($"[{workerId}] lost trial {trial.ConfigId} to another worker (no heartbeat for {spec.HeartbeatTimeout:0.#} s): stopped{(step > 0 ? $" after step {step:N0}" : "")}, wrote nothing more into {run.Path}");
        }
        catch (OperationCanceledException) when (reporter.PrunedReason is not null && !lease.IsLost && !stop.IsCancellationRequested)
        {
            Pruned();
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            study.Release(trial);   // stopped while waiting for the trial's folder
        }
        catch (Exception e) when (e is GptLabException or IOException or InvalidOperationException or ArgumentException)
        {
            study.Fail(trial, e.Message);
            log?.Invoke($"[{workerId}] trial {trial.ConfigId} failed: {e.Message}");
        }
    }

    /// <summary>Sends each evaluation to the study as it happens (what `sweep report`, the dashboard and the pruner
    /// read), then asks the pruner; a trial judged hopeless is stopped through <paramref name="prune"/>.</summary>
    private sealed class EvalReporter(IStudyStorage study, Trial held, PrunerSpec pruner, CancellationTokenSource prune) : ITrainingObserver
    {
        public string? PrunedReason { get; private set; }
        public double PrunedValue { get; private set; } = double.NaN;

        public void OnEval(MetricRecord eval)
        {
            if (eval.ValNll is not double nll) return;
            study.ReportEval(held, eval.Step, nll, eval.ValLoss);
            if (pruner.Kind == PrunerKind.None || PrunedReason is not null) return;
            if (Pruner.Judge(pruner, held.ConfigId, held.Phase, eval.Step, study.Evals(), study.Trials()) is string reason)
            {
                PrunedReason = reason;
                PrunedValue = nll;
                prune.Cancel();
            }
        }
    }
}
