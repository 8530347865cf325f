using GptLab.Runs;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GptLab.Training;

/// <summary>Writes TensorBoard event files (TorchSharp's SummaryWriter): every metric as a scalar, samples as text.</summary>
internal sealed class TensorBoardObserver(string logDir) : ITrainingObserver
{
    private readonly SummaryWriter writer = utils.tensorboard.SummaryWriter(logDir, "", false);

    public void OnStep(MetricRecord s)
    {
        Scalar("train/loss", s.Loss, s.Step);
        Scalar("train/lr", s.Lr, s.Step);
        Scalar("train/grad_norm", s.GradNorm, s.Step);
        Scalar("perf/ms_per_step", s.MsPerStep, s.Step);
        Scalar("perf/tokens_per_s", s.TokensPerS, s.Step);
        Scalar("perf/mfu", s.Mfu, s.Step);
    }

    public void OnEval(MetricRecord e)
    {
        Scalar("eval/train_loss", e.TrainLoss, e.Step);
        Scalar("eval/val_loss", e.ValLoss, e.Step);
        Scalar("eval/val_nll", e.ValNll, e.Step);
    }

    public void OnSample(SampleRecord s) => writer.add_text("samples", s.Text, s.Step);

    private void Scalar(string tag, double? value, int step)
    {
        if (value is double v && double.IsFinite(v)) writer.add_scalar(tag, (float)v, step);
    }
}
