using System.Diagnostics;
using GptLab.Checkpoints;
using GptLab.Data;
using GptLab.Losses;
using GptLab.Model;
using GptLab.Runs;
using GptLab.Sampling;
using GptLab.Tokenizers;
using TorchSharp;
using static TorchSharp.torch;

namespace GptLab.Training;

/// <summary>
/// nanoGPT's train.py loop: evaluate every eval_interval (and checkpoint), then gradient-accumulated steps with
/// warm-up + cosine learning rate, gradient clipping and AdamW/SGD, logging every log_interval. Deterministic:
/// same seed, config and threads give the same loss curve, and a resumed run continues it exactly.
/// </summary>
internal sealed class Trainer : IDisposable
{
    private readonly TrainConfig config;
    private readonly Dataset data;
    private readonly RunDirectory? run;
    private readonly Gpt model;
    private readonly Optimizer optimizer;
    private readonly BatchSource trainBatches;
    private readonly LossOptions loss;
    private readonly TrainingStep trainingStep;
    private readonly LossScaler? scaler;
    private readonly WeightAverage? average;   // ema_decay > 0
    private readonly int maxIters;
    private int step;
    private long tokensSeen;
    private double bestValLoss = double.PositiveInfinity;
    private double? lastValLoss;
    private int? lastEvalStep;
    private double wallBefore;   // wall seconds of earlier sessions of this run
    private int lastSavedStep = -1;

    private readonly Distributed.IGradientSync sync;
    private readonly int localAccum;

    public Trainer(TrainConfig config, Dataset data, RunDirectory? run, string? resumeFrom = null, Distributed.IGradientSync? sync = null)
    {
        this.sync = sync ?? Distributed.SingleProcess.Instance;
        if (config.GradientAccumulationSteps % this.sync.Size != 0)
            throw new GptLabException($"config key 'gradient_accumulation_steps': {config.GradientAccumulationSteps} does not divide among {this.sync.Size} ranks — make it a multiple of {this.sync.Size} (nanoGPT divides it by the world size)");
        localAccum = config.GradientAccumulationSteps / this.sync.Size;
        TorchRuntime.Initialize(config.EffectiveThreads);
        this.config = config;
        this.data = data;
        this.run = run;
        loss = config.LossOptions;
        if (data.Train.Count < config.BlockSize + 1)
            throw new GptLabException($"config key 'block_size': {config.BlockSize} is larger than the training data ({data.Train.Count:N0} tokens) — lower block_size");
        if (data.Val.Count < config.BlockSize + 1)
            throw new GptLabException($"config key 'block_size': {config.BlockSize} is larger than the validation data ({data.Val.Count:N0} tokens) — lower block_size or raise --val-fraction");

        random.manual_seed(config.Seed);
        var device = TorchRuntime.Device(config.Device);
        if (config.Attention == AttentionKind.Document && data.Tokenizer.EosId is null)
            throw new GptLabException($"config key 'attention': document needs an end-of-text token between documents; the {data.Tokenizer.Kind} tokenizer of {data.Directory} has none — use attention: causal");
        model = new Gpt(config.ToGptConfig(data.Tokenizer.VocabSize, data.Tokenizer.EosId));
        if (device.type != DeviceType.CPU) model.to(device);
        model.Autocast = config.Dtype.Autocast();
        if (resumeFrom == null && config.InitFrom.CheckpointDir is string from)
            CheckpointStore.LoadWeights(model, Path.Combine(from, CheckpointStore.ModelFile));   // fine-tune
        optimizer = new Optimizer(model, config);
        average = config.EmaDecay > 0 ? new WeightAverage(model, config.EmaDecay) : null;
        scaler = config.Dtype == Precision.Float16 ? new LossScaler() : null;
        trainingStep = new TrainingStep(model, optimizer, loss, data.Tokenizer.VocabSize, config.GradClip, this.sync, scaler, config.DdpOverlap);
        if (config.Batching == Batching.DocAligned && data.Tokenizer.EosId is null)
            throw new GptLabException($"config key 'batching': doc_aligned needs an end-of-text token between documents; the {data.Tokenizer.Kind} tokenizer of {data.Directory} has none — use batching: random");
        trainBatches = new BatchSource(data.Train, config.BatchSize, config.BlockSize, config.Batching == Batching.Sequential, (ulong)config.Seed * 2654435761UL + 1,
            config.Batching == Batching.DocAligned ? data.Tokenizer.EosId : null);
        maxIters = config.Epochs > 0
            ? (int)Math.Ceiling(config.Epochs * trainBatches.ChunksPerEpoch / ((double)config.BatchSize * config.GradientAccumulationSteps))
            : config.MaxIters;
        if (resumeFrom != null) Restore(resumeFrom);
        this.sync.Broadcast(model.parameters().Select(p => (Tensor)p).ToList());   // every rank starts from rank 0's weights
        model.train();
    }

    public Gpt Model => model;
    public int Step => step;
    public int MaxIters => maxIters;

    /// <summary>Puts the weights a run evaluates into <see cref="Model"/> (the average with ema_decay; nothing to do
    /// otherwise) until the returned scope is disposed.</summary>
    public IDisposable? EvaluationWeights() => average?.SwapIn();

    private void Restore(string dir)
    {
        var m = CheckpointStore.ReadManifest(dir);
        if (m.DataFingerprint != data.Meta.Fingerprint)
            throw new GptLabException($"the checkpoint was trained on other data ({m.DataFingerprint}) than {data.Directory} ({data.Meta.Fingerprint}) — resume with the same dataset");
        if (m.TokenizerKind != data.Meta.Tokenizer.Kind)
            throw new GptLabException($"the checkpoint's tokenizer ({m.TokenizerKind}) differs from the dataset's ({data.Meta.Tokenizer.Kind})");
        if (m.Model != model.Config)
            throw new GptLabException("the checkpoint's model shape differs from the config — resume with the run's own config");
        CheckpointStore.LoadWeights(model, Path.Combine(dir, CheckpointStore.ModelFile));
        var state = CheckpointStore.LoadOptimizerState(dir);
        try
        {
            optimizer.LoadState(state, m.OptimizerStep);
            average?.Restore(state);   // the model file held the average; training goes on from its own weights
        }
        finally { foreach (var t in state.Values) t.Dispose(); }
        trainBatches.Restore(new BatchState(m.BatchRng, m.BatchPosition, m.BatchEpoch));
        if (m.TorchRngState.Length > 0)
        {
            using var s = tensor(Convert.FromBase64String(m.TorchRngState), ScalarType.Byte);
            random.set_rng_state(s);
        }
        if (scaler is not null && m.LossScale is double scale)
        {
            scaler.Scale = scale;
            scaler.GrowthTracker = m.ScaleGrowthTracker;
        }
        step = m.Step;
        tokensSeen = m.TokensSeen;
        bestValLoss = m.BestValLoss;
        lastEvalStep = m.LastEvalStep;
        wallBefore = m.WallS;
    }

    public TrainResult Run(IReadOnlyList<ITrainingObserver> observers, CancellationToken stop = default)
    {
        var wall = Stopwatch.StartNew();
        double peak = config.PeakFlops > 0 ? config.PeakFlops : PeakFlops.Measure(config.Dtype.PeakDtype(), model.Device);
        var g = optimizer.Groups;
        foreach (var o in observers)
            o.OnStart(new TrainingStart(model.NumParams(), step, maxIters, config.TokensPerIter, config.EffectiveThreads, IO.JsonEnum.Name(config.Dtype), peak,
                g.DecayTensors, g.DecayParams, g.NoDecayTensors, g.NoDecayParams)
            { Schedule = LrSchedule.Describe(config, maxIters) });
        double Wall() => wallBefore + wall.Elapsed.TotalSeconds;
        double flopsPerIter = model.FlopsPerIter(config.TokensPerIter);
        double runningMfu = -1;
        var stepTimer = new Stopwatch();

        while (true)
        {
            if ((step % config.EvalInterval == 0 || step == maxIters) && lastEvalStep != step)
            {
                double trainLoss, valLoss, valNll;
                string? sampleText = null;
                using (average?.SwapIn())   // the averaged weights are the ones evaluated, sampled and saved
                {
                    (trainLoss, valLoss, valNll) = EstimateLoss();
                    if (config.SampleTokens > 0 && !config.EvalOnly && sync.Rank == 0) sampleText = SampleText(step);
                }
                lastValLoss = valNll;
                lastEvalStep = step;
                var record = new MetricRecord
                {
                    Kind = "eval", Step = step, Tokens = tokensSeen, TrainLoss = trainLoss, ValLoss = valLoss, ValNll = valNll,
                    Lr = LrSchedule.Get(step, config), WallS = Wall(), Time = DateTime.UtcNow,
                };
                run?.AppendMetric(record);
                foreach (var o in observers) o.OnEval(record);
                if (sampleText is not null)
                {
                    var sample = new SampleRecord { Step = step, ValLoss = valNll, Text = sampleText, Time = DateTime.UtcNow };
                    run?.AppendSample(sample);
                    foreach (var o in observers) o.OnSample(sample);
                }
                bool better = valNll < bestValLoss;
                if (better) bestValLoss = valNll;
                if (run != null && step > 0 && !config.EvalOnly)
                {
                    if (better) SaveCheckpoint(run.BestCheckpoint, "best", observers, Wall());
                    if (config.AlwaysSaveCheckpoint || better) SaveCheckpoint(run.LastCheckpoint, "last", observers, Wall());
                }
            }
            if (config.EvalOnly || step >= maxIters) break;
            if (sync.Size > 1 ? sync.Any(stop.IsCancellationRequested) : stop.IsCancellationRequested)
            {
                if (run != null) SaveCheckpoint(run.LastCheckpoint, "last", observers, Wall());
                return new TrainResult(TrainOutcome.Stopped, step, bestValLoss, lastValLoss, Wall());
            }

            double lr = LrSchedule.Get(step, config);
            stepTimer.Restart();
            double lossValue = trainingStep.Run(trainBatches, localAccum, lr, out double gradNorm);
            average?.Update(step + 1);
            stepTimer.Stop();
            if (!double.IsFinite(lossValue))
                throw new GptLabException(
                    $"the loss became {(double.IsNaN(lossValue) ? "NaN" : "infinite")} at step {step} — lower learning_rate or set grad_clip; the last good checkpoint is untouched{(run != null ? $" ({run.LastCheckpoint})" : "")}", 3);
            step++;
            tokensSeen += config.TokensPerIter;
            if (step % config.LogInterval == 0 || step == maxIters)
            {
                double dt = stepTimer.Elapsed.TotalSeconds;
                double mfu = flopsPerIter / dt / (peak * sync.Size);   // peak is one process's
                runningMfu = runningMfu < 0 ? mfu : 0.9 * runningMfu + 0.1 * mfu;
                var record = new MetricRecord
                {
                    Kind = "train", Step = step, Tokens = tokensSeen, Loss = lossValue, Lr = lr, GradNorm = gradNorm,
                    MsPerStep = dt * 1000, TokensPerS = config.TokensPerIter / dt, Mfu = runningMfu, WallS = Wall(), Time = DateTime.UtcNow,
                    WorldSize = sync.Size > 1 ? sync.Size : null,
                };
                run?.AppendMetric(record);
                foreach (var o in observers) o.OnStep(record);
            }
        }
        if (run != null && !config.EvalOnly && step > 0 && lastSavedStep != step) SaveCheckpoint(run.LastCheckpoint, "last", observers, Wall());
        average?.CopyIntoModel();   // the trained model is the one evaluated
        return new TrainResult(TrainOutcome.Finished, step, bestValLoss, lastValLoss, Wall());
    }

    /// <summary>nanoGPT's estimate_loss: mean loss over eval_iters random batches of each split. The batches come
    /// from their own generator (seeded by the seed and step), so evaluating never disturbs training.</summary>
    public (double Train, double Val, double ValNll) EstimateLoss()
    {
        model.eval();
        try
        {
            using var noGrad = no_grad();
            double Mean(TokenShard shard, ulong salt, bool alsoNll, out double nll)
            {
                var batches = new BatchSource(shard, config.BatchSize, config.BlockSize, false, (ulong)config.Seed * 31 + (ulong)step * 7919 + salt);
                double sum = 0, sumNll = 0;
                for (int i = 0; i < config.EvalIters; i++)
                {
                    using var scope = NewDisposeScope();
                    var (x, y) = batches.Next();
                    if (i % sync.Size != sync.Rank) continue;   // the ranks share the batches out, then sum
                    (x, y) = (OnDevice(x), OnDevice(y));
                    var full = model.forward(x);
                    sum += LossFunctions.Compute(TrainingStep.Logits(full, loss.Kind, data.Tokenizer.VocabSize), y, loss).item<float>();
                    // the NLL that compares models is over the real vocabulary for every loss, cross-entropy included
                    if (alsoNll) sumNll += LossFunctions.TokenNll(LossFunctions.RealVocab(full, data.Tokenizer.VocabSize), y).mean().item<float>();
                }
                if (sync.Size > 1)
                {
                    var both = sync.Sum([sum, sumNll]);
                    (sum, sumNll) = (both[0], both[1]);
                }
                nll = sumNll / config.EvalIters;
                return sum / config.EvalIters;
            }
            double train = Mean(data.Train, 1, false, out _);
            double val = Mean(data.Val, 2, true, out double valNll);
            return (train, val, valNll);
        }
        finally
        {
            model.train();
        }
    }

    private Tensor OnDevice(Tensor t) => model.Device.type == DeviceType.CPU ? t : t.to(model.Device);

    private string SampleText(int atStep)
    {
        var tokens = Sampler.Generate(model, Sampler.PromptIds(data.Tokenizer, ""), 1, new SamplingOptions
        {
            MaxNewTokens = config.SampleTokens, Temperature = config.SampleTemperature, TopK = config.SampleTopK,
            Seed = config.Seed + atStep, VocabLimit = data.Tokenizer.VocabSize,
        });
        return data.Tokenizer.Decode(tokens[0].AsSpan());
    }

    private void SaveCheckpoint(string dir, string kind, IReadOnlyList<ITrainingObserver> observers, double wallS)
    {
        using var rng = random.get_rng_state();
        var batch = trainBatches.State;
        var manifest = new CheckpointManifest
        {
            Step = step, TokensSeen = tokensSeen, BestValLoss = bestValLoss, LastEvalStep = lastEvalStep, WallS = wallS,
            Model = model.Config, Train = config, TokenizerKind = data.Tokenizer.Kind, DataVocabSize = data.Tokenizer.VocabSize,
            DataFingerprint = data.Meta.Fingerprint, DatasetPath = Path.GetFullPath(data.Directory), BatchRng = batch.Rng, BatchPosition = batch.Position, BatchEpoch = batch.Epoch,
            OptimizerStep = optimizer.Step, TorchRngState = Convert.ToBase64String(rng.bytes), CreatedUtc = DateTime.UtcNow,
            LossScale = scaler?.Scale, ScaleGrowthTracker = scaler?.GrowthTracker ?? 0,
        };
        CheckpointStore.Save(dir, model, optimizer, manifest, data.Directory, run!.CheckWrite, average);
        if (kind == "last") lastSavedStep = step;
        foreach (var o in observers) o.OnCheckpoint(kind, dir);
    }

    public void Dispose()
    {
        optimizer.Dispose();
        average?.Dispose();
        model.Dispose();
    }
}
