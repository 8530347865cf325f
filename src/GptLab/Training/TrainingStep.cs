using System.Diagnostics;
using GptLab.Data;
using GptLab.Losses;
using GptLab.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace GptLab.Training;

/// <summary>Where the time of one step went, in milliseconds (filled in only when asked: benchmarks).</summary>
internal sealed class StepTimings
{
    public double DataMs { get; set; }        // assembling the batches
    public double ForwardMs { get; set; }     // forward and loss
    public double BackwardMs { get; set; }    // backward and gradient clipping
    public double OptimizerMs { get; set; }   // the update and zeroing the gradients
    public double SyncMs { get; set; }        // waiting, after backward, for the gradients' average over ranks (the part of the allreduce not hidden)
    public double AllreduceMs { get; set; }   // time the MPI thread spent in MPI_Allreduce (during backward or after)
    public double TotalMs => DataMs + ForwardMs + BackwardMs + OptimizerMs + SyncMs;
}

/// <summary>
/// One optimizer step, as nanoGPT's loop body: gradient_accumulation_steps micro-batches of forward, loss / accum and
/// backward, then clipping and the update. The trainer and the benchmark run exactly this code.
/// </summary>
internal sealed class TrainingStep(Gpt model, Optimizer optimizer, LossOptions loss, int realVocab, double gradClip,
    Distributed.IGradientSync? sync = null, LossScaler? scaler = null, bool overlap = true)
{
    private readonly Distributed.IGradientSync sync = sync ?? Distributed.SingleProcess.Instance;
    private readonly IReadOnlyList<IReadOnlyList<TorchSharp.Modules.Parameter>> stages = model.GradientStages();

    /// <summary>Runs the step at learning rate <paramref name="lr"/>; returns the mean loss. With several ranks, each
    /// draws the whole step's batches from the shared stream and trains on every Size-th, starting at its rank — so
    /// N ranks with accumulation a see exactly the batches one process sees with accumulation N·a — and the
    /// gradients are averaged over ranks before clipping: with <c>overlap</c> (ddp_overlap), each stage's gradients
    /// leave for the allreduce as the last micro-batch's backward completes them, as PyTorch's DDP does.</summary>
    public double Run(BatchSource batches, int accum, double lr, out double gradNorm, StepTimings? timings = null)
    {
        using var scope = NewDisposeScope();
        var clock = timings is null ? null : Stopwatch.StartNew();
        double Lap()
        {
            double ms = clock!.Elapsed.TotalMilliseconds;
            clock.Restart();
            return ms;
        }
        Tensor? total = null;
        var average = sync.Size > 1 ? sync.StartAverage() : null;
        int handed = 0;                                     // stages handed to the average, in backward's order
        void HandUpTo(int stage)
        {
            for (; handed <= stage; handed++) average!.Add(Grads(handed));
        }
        for (int micro = 0; micro < accum; micro++)
        {
            if (average is not null && overlap && micro == accum - 1) model.OnGradientsReady = HandUpTo;
            for (int r = 0; r < sync.Rank; r++) batches.Next();
            var (x, y) = batches.Next();
            for (int r = sync.Rank + 1; r < sync.Size; r++) batches.Next();
            if (model.Device.type != DeviceType.CPU) (x, y) = (x.to(model.Device), y.to(model.Device));
            if (timings is not null) timings.DataMs += Lap();
            var l = LossFunctions.Compute(Logits(model.forward(x), loss.Kind, realVocab), y, loss) / accum;
            if (timings is not null) timings.ForwardMs += Lap();
            try { (scaler is null ? l : scaler.ScaleLoss(l)).backward(); }
            finally { model.OnGradientsReady = null; }
            total = total is null ? l.detach() : total + l.detach();
            if (timings is not null) timings.BackwardMs += Lap();
        }
        double mean = total!.item<float>();
        var grads = scaler is not null ? model.parameters().Where(p => p.grad is not null).Select(p => p.grad!).ToList() : null;
        if (average is not null)
        {
            HandUpTo(stages.Count - 1);   // the embeddings (wte makes the tied logits too) are complete only now; without overlap, everything
            average.Finish();
            mean = (float)(sync.Sum([mean])[0] / sync.Size);
            if (timings is not null)
            {
                timings.SyncMs += Lap();
                timings.AllreduceMs += average.ReduceMs;
            }
        }
        if (scaler is not null && !scaler.Unscale(grads!))
        {
            // float16 overflow: skip the update, halve the scale (GradScaler)
            optimizer.ZeroGrad();
            scaler.Update(overflow: true);
            gradNorm = double.NaN;
            return mean;
        }
        scaler?.Update(overflow: false);
        gradNorm = optimizer.ClipGradNorm(gradClip);
        if (timings is not null) timings.BackwardMs += Lap();
        optimizer.Apply(lr);
        optimizer.ZeroGrad();
        if (timings is not null) timings.OptimizerMs += Lap();
        return mean;
    }

    /// <summary>The gradients of a stage of <see cref="Gpt.GradientStages"/> (parameters that took part in the forward).</summary>
    private List<Tensor> Grads(int stage) => stages[stage].Where(p => p.grad is not null).Select(p => p.grad!).ToList();

    /// <summary>Cross-entropy trains over the padded vocabulary (the padding ids never occur, as in nanoGPT); the
    /// square losses see only real classes: C in squentropy's 1/(C−1) is the real vocabulary.</summary>
    public static Tensor Logits(Tensor logits, LossKind kind, int realVocab) =>
        kind == LossKind.CrossEntropy ? logits : LossFunctions.RealVocab(logits, realVocab);
}
