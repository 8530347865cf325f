using GptLab.Checkpoints;
using GptLab.Data;
using GptLab.IO;
using GptLab.Model;
using GptLab.Runs;

namespace GptLab.Training;

/// <summary>
/// The one owner of a training run's lifecycle: starts a run (from scratch or fine-tuning a checkpoint), resumes
/// one, or — for sweep trials — continues a run folder when its checkpoint fits and starts it over otherwise. It
/// opens the data (preparing a built-in dataset on first use), checks the config against the data and any
/// checkpoint before anything is written, writes the run folder and status.json, and turns cancellation into a
/// checkpoint and a "stopped" status. <c>gptlab train</c>, sweep trials, <c>compare</c> and the benchmarks all go
/// through it.
/// </summary>
public sealed class TrainingSession : IDisposable
{
    /// <summary>Keys a resumed run may change; every other key would change the model, the data or the curve.</summary>
    public static IReadOnlySet<string> ResumableKeys { get; } = new SortedSet<string>(StringComparer.Ordinal)
    {
        "max_iters", "epochs", "eval_interval", "eval_iters", "log_interval", "always_save_checkpoint", "threads", "ddp_overlap", "eval_only",
        "sample_tokens", "sample_temperature", "sample_top_k", "peak_flops", "lr_decay_iters", "min_lr", "decay_lr",
    };

    private readonly Trainer trainer;
    private readonly Dataset? dataset;
    private readonly bool ownsDataset;
    private readonly SessionOptions options;

    private TrainingSession(TrainConfig config, RunDirectory run, string? resumeFrom, SessionOptions options, RunLock? held, Func<TrainConfig, RunLock?> commit)
    {
        sync = SyncOf(options);
        if (sync.Rank != 0) options = options with { Log = null };   // only rank 0 speaks and writes
        this.options = options;
        ownsDataset = options.Dataset is null;
        runLock = held;
        try
        {
            dataset = options.Dataset ?? DatasetLocator.Open(config.Dataset, options.Log);
            config = FitToCheckpoint(config, dataset, resumeFrom);
            trainer = new Trainer(config, dataset, sync.Rank == 0 ? run : null, resumeFrom, sync);   // checks the config against the data and checkpoint
            Config = config;
            Run = run;
            ResumedAt = resumeFrom is null ? null : trainer.Step;
            if (sync.Rank == 0) runLock = commit(config);                // only now is anything written
        }
        catch
        {
            trainer?.Dispose();
            if (ownsDataset) dataset?.Dispose();
            runLock?.Dispose();
            throw;
        }
    }

    private readonly RunLock? runLock;

    private readonly Distributed.IGradientSync sync;

    /// <summary>False on the ranks of a data-parallel run other than 0: they train, and write and print nothing.</summary>
    public bool IsMain => sync.Rank == 0;

    /// <summary>Processes training this run together (1 without MPI).</summary>
    public int WorldSize => sync.Size;

    public TrainConfig Config { get; }
    public RunDirectory Run { get; }
    public Dataset Dataset => dataset!;
    public Gpt Model => trainer.Model;
    public int Step => trainer.Step;
    public int MaxIters => trainer.MaxIters;

    /// <summary>The step this session continues from, or null for a run that starts at step 0.</summary>
    public int? ResumedAt { get; }

    /// <summary>What <c>gptlab train</c> asks for: <c>--resume DIR</c> continues a run; otherwise a preset or config
    /// file plus <c>--set</c> overrides starts one in <c>--out</c> (default <c>runs/&lt;preset&gt;-&lt;time&gt;</c>), and
    /// <c>init_from=resume</c> with <c>--out</c> continues that run, as nanoGPT's key does.</summary>
    public static TrainingSession Open(TrainRequest request, SessionOptions? options = null)
    {
        options ??= new SessionOptions();
        if (request.ResumeDir is string dir) return Resume(dir, request.Sets, options);
        var (config, source, note) = ConfigResolver.FromPreset(request.Preset, request.ConfigFile, request.Sets);
        if (note is not null) options.Log?.Invoke(note);
        if (config.InitFrom.IsResume)
        {
            if (request.OutDir is null) throw new GptLabException("init_from=resume needs --out runs/NAME (the run to continue), or use --resume runs/NAME");
            return Resume(request.OutDir, request.Sets.Where(s => !s.TrimStart().StartsWith("init_from", StringComparison.Ordinal)), options);
        }
        string name = Path.GetFileNameWithoutExtension(source);
        // named after the data too when it is not the preset's own (--data data/kjv-char → runs/kjv-char-<preset>-<time>)
        string data = Path.GetFileName(Path.TrimEndingDirectorySeparator(config.Dataset));
        if (data.Length > 0 && !name.Contains(data, StringComparison.OrdinalIgnoreCase)) name = $"{data}-{name}";
        return Start(config, request.OutDir ?? Path.Combine("runs", $"{name}-{DateTime.Now:yyyyMMdd-HHmmss}"), options with { Source = source });
    }

    /// <summary>A new run in <paramref name="runDir"/> (which must not hold one): from scratch, or fine-tuning the
    /// checkpoint in <c>init_from</c>.</summary>
    public static TrainingSession Start(TrainConfig config, string runDir, SessionOptions? options = null)
    {
        options ??= new SessionOptions();
        var run = new RunDirectory(runDir) { Fence = options.Fence };
        if (config.InitFrom.IsResume) throw new GptLabException($"init_from=resume continues a run: use TrainingSession.Resume({runDir})");
        bool main = SyncOf(options).Rank == 0;
        if (run.Exists && main) throw AlreadyHoldsARun(run);
        if (main && Directory.Exists(run.Path) && Directory.EnumerateFileSystemEntries(run.Path).Any(e => Path.GetFileName(e) is not (RunLock.FileName or RunLock.HolderFileName)))
            throw new GptLabException($"{run.Path} is not empty and holds no run — name a new or empty folder with --out");
        return new TrainingSession(config, run, null, options, null, c =>
        {
            run.Create();
            var held = RunLock.Acquire(run.Path);   // a second `train --out` of the same folder, started at the same time, stops here
            try
            {
                if (run.Exists) throw AlreadyHoldsARun(run);
                run.WriteConfig(c);
                if (options.Source is string source) Json.Write(Path.Combine(run.Path, "preset.json"), new { preset = source });
                return held;
            }
            catch
            {
                held.Dispose();
                throw;
            }
        });
    }

    private static GptLabException AlreadyHoldsARun(RunDirectory run) =>
        new($"{run.Path} already holds a run — use --resume {run.Path} to continue it, or --out another folder");

    /// <summary>Continues the run in <paramref name="runDir"/> from its last checkpoint; <paramref name="sets"/> may
    /// change only <see cref="ResumableKeys"/>. A run stopped before its first checkpoint starts over from step 0 in
    /// the same folder.</summary>
    public static TrainingSession Resume(string runDir, IEnumerable<string> sets, SessionOptions? options = null)
    {
        options ??= new SessionOptions();
        var run = new RunDirectory(runDir) { Fence = options.Fence };
        if (!run.Exists) throw new GptLabException($"{runDir} is not a run folder (no config.json)");
        var list = sets.ToList();
        foreach (var s in list)
        {
            string key = ConfigResolver.KeyOf(s);
            if (!ResumableKeys.Contains(key))
                throw new GptLabException($"config key '{key}' cannot change on resume (it would change the model or the data); allowed: {string.Join(", ", ResumableKeys)}");
        }
        bool main = SyncOf(options).Rank == 0;
        // held from here to the session's end: a second resume of this folder, however soon after, is refused
        var held = main ? RunLock.Acquire(run.Path) : null;
        try
        {
            if (main) RefuseIfLive(run);   // a holder on another machine (a shared file system that keeps no locks)
            return ResumeHeld(run, list, options, held);
        }
        catch
        {
            held?.Dispose();
            throw;
        }
    }

    private static TrainingSession ResumeHeld(RunDirectory run, List<string> list, SessionOptions options, RunLock? held)
    {
        bool main = held is not null;
        var saved = Json.Read<TrainConfig>(run.ConfigPath, "the run's config.json is damaged");
        var config = ConfigResolver.Resolve([], list, saved);
        if (main) CleanStaleTemporaries(run);
        if (!CheckpointStore.Exists(run.LastCheckpoint))
        {
            options.Log?.Invoke($"{run.Name} has no checkpoint yet: starting it over from step 0 in the same folder");
            return new TrainingSession(config with { InitFrom = saved.InitFrom.IsResume ? InitFrom.Scratch : saved.InitFrom }, run, null, options, held, c =>
            {
                run.TruncateAfter(0, keepEvalAtStep: false);
                run.WriteConfig(c);
                return held;
            });
        }
        var manifest = CheckpointStore.ReadManifest(run.LastCheckpoint);
        return new TrainingSession(config, run, run.LastCheckpoint, options, held, c =>
        {
            options.Log?.Invoke($"resuming {run.Name} at step {manifest.Step:N0}");
            run.TruncateAfter(manifest.Step, keepEvalAtStep: manifest.LastEvalStep == manifest.Step);
            run.WriteConfig(c);
            return held;
        });
    }

    /// <summary>For sweep trials: continues <paramref name="runDir"/> when its last checkpoint is of this config's seed
    /// and not past its <c>max_iters</c> (a promoted or re-queued trial), else starts the folder over. Waits for the
    /// folder's lock first: a worker that lost this trial may still be letting go of it.</summary>
    public static TrainingSession StartOrContinue(TrainConfig config, string runDir, SessionOptions? options = null, CancellationToken cancel = default)
    {
        options ??= new SessionOptions();
        var run = new RunDirectory(runDir) { Fence = options.Fence };
        var held = SyncOf(options).Rank == 0 ? RunLock.Wait(run.Path, cancel, options.Log) : null;
        try
        {
            if (held is not null) CleanStaleTemporaries(run);
            var last = CheckpointStore.Exists(run.LastCheckpoint) ? CheckpointStore.ReadManifest(run.LastCheckpoint) : null;
            bool fits = last is not null && last.Train.Seed == config.Seed && last.Step <= config.MaxIters;
            return new TrainingSession(config, run, fits ? run.LastCheckpoint : null, options, held, c =>
            {
                if (fits && last is not null)
                {
                    options.Log?.Invoke($"resuming {run.Name} at step {last.Step:N0}");
                    run.TruncateAfter(last.Step, last.LastEvalStep == last.Step);
                }
                else
                {
                    run.Clear();   // a first attempt that died before its checkpoint: start clean (the lock stays)
                    run.Create();
                }
                run.WriteConfig(c);
                return held;
            });
        }
        catch
        {
            held?.Dispose();
            throw;
        }
    }

    /// <summary>Trains until max_iters or until <paramref name="stop"/> fires (then checkpoints and returns Stopped),
    /// keeping status.json current: running (with a heartbeat at each eval), finished, stopped or failed.</summary>
    public TrainResult Train(IReadOnlyList<ITrainingObserver> observers, CancellationToken stop = default)
    {
        if (!IsMain) return trainer.Run([], stop);
        var started = DateTime.UtcNow;
        long parameters = trainer.Model.NumParams();
        RunStatus Status(string state, int step, string? message = null) => RunStatus.OfThisProcess(state, step, started, parameters, message);
        Run.WriteStatus(Status("running", trainer.Step));
        List<ITrainingObserver> all = [.. observers, new StatusObserver(Run, s => Status("running", s))];
        if (options.TensorBoard) all.Add(new TensorBoardObserver(Path.Combine(Run.Path, "tensorboard")));
        try
        {
            var result = trainer.Run(all, stop);
            Run.WriteStatus(Status(result.Outcome == TrainOutcome.Finished ? "finished" : "stopped", result.Step));
            return result;
        }
        catch (Exception e) when (e is not LeaseLostException)   // a lost lease writes nothing more, not even "failed"
        {
            Run.WriteStatus(Status("failed", trainer.Step, e.Message));
            throw;
        }
    }

    /// <summary>Fine-tuning takes the model shape from the checkpoint (nanoGPT's init_from='gpt2'), whose tokenizer
    /// must be the data's.</summary>
    private static TrainConfig FitToCheckpoint(TrainConfig config, Dataset dataset, string? resumeFrom)
    {
        if (resumeFrom is not null || config.InitFrom.CheckpointDir is not string dir) return config;
        var from = CheckpointStore.ReadManifest(dir);
        if (from.TokenizerKind != dataset.Tokenizer.Kind || from.DataVocabSize != dataset.Tokenizer.VocabSize)
            throw new GptLabException($"init_from {dir} uses a {from.TokenizerKind} tokenizer ({from.DataVocabSize:N0}); {config.Dataset} was prepared with {dataset.Tokenizer.Kind} ({dataset.Tokenizer.VocabSize:N0}) — prepare the data with the same tokenizer");
        return config.WithModelOf(from.Model, dataset.Tokenizer.VocabSize);
    }

    /// <summary>The processes this run trains with: the options' choice, else MPI when started by mpirun/srun.</summary>
    private static Distributed.IGradientSync SyncOf(SessionOptions options) => options.Sync ?? Distributed.MpiSync.Detect();

    /// <summary>Two processes must never train one run folder.</summary>
    private static void RefuseIfLive(RunDirectory run)
    {
        var status = run.ReadStatus();
        if (status is not null && status.Pid != Environment.ProcessId && RunSummary.EffectiveState(status) == "running")
            throw new GptLabException($"{run.Path} is being trained by process {status.Pid} on {status.Host} — stop it first");
    }

    /// <summary>Removes checkpoint staging folders left by writers that died mid-write.</summary>
    private static void CleanStaleTemporaries(RunDirectory run)
    {
        if (!Directory.Exists(run.CheckpointsDir)) return;
        AtomicDirectory.Recover(run.LastCheckpoint);
        AtomicDirectory.Recover(run.BestCheckpoint);
        foreach (var d in Directory.GetDirectories(run.CheckpointsDir, ".*.tmp-*").Concat(Directory.GetDirectories(run.CheckpointsDir, ".*.old-*")))
            AtomicDirectory.TryDelete(d);
    }

    public void Dispose()
    {
        trainer.Dispose();
        if (ownsDataset) dataset?.Dispose();
        runLock?.Dispose();   // last: the folder is free for the next holder only once nothing more is written
    }

    /// <summary>Keeps status.json's step fresh (a heartbeat for `gptlab runs` and the dashboard).</summary>
    private sealed class StatusObserver(RunDirectory run, Func<int, RunStatus> status) : ITrainingObserver
    {
        public void OnEval(MetricRecord eval) => run.WriteStatus(status(eval.Step));
    }
}
