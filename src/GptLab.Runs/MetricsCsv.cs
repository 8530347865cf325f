using System.Globalization;
using System.Text;

namespace GptLab.Runs;

/// <summary>A run's metrics.jsonl as CSV (one row per line; empty cells where a kind has no such value), for
/// spreadsheets and pandas — the dashboard's "download metrics".</summary>
public static class MetricsCsv
{
    public const string Header = "kind,step,tokens,loss,train_loss,val_loss,val_nll,lr,grad_norm,ms_per_step,tokens_per_s,mfu,world_size,wall_s,time";

    public static string Of(IEnumerable<MetricRecord> records)
    {
        var inv = CultureInfo.InvariantCulture;
        var csv = new StringBuilder(Header).Append('\n');
        foreach (var m in records)
            csv.Append(string.Create(inv, $"{m.Kind},{m.Step},{m.Tokens},{m.Loss:R},{m.TrainLoss:R},{m.ValLoss:R},{m.ValNll:R},{m.Lr:R},{m.GradNorm:R},{m.MsPerStep:R},{m.TokensPerS:R},{m.Mfu:R},{m.WorldSize},{m.WallS:R},{m.Time:O}\n"));
        return csv.ToString();
    }
}
