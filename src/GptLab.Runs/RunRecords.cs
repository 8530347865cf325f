namespace GptLab.Runs;

/// <summary>One line of metrics.jsonl: a logged training step ("train") or an evaluation ("eval").</summary>
public sealed record MetricRecord
{
    public string Kind { get; init; } = "train";
    public int Step { get; init; }
    public long Tokens { get; init; }            // tokens seen by training so far
    public double? Loss { get; init; }           // train: the step's loss (training loss function)
    public double? TrainLoss { get; init; }      // eval: mean loss over eval_iters train batches
    public double? ValLoss { get; init; }        // eval: mean loss over eval_iters val batches (training loss function)
    public double? ValNll { get; init; }         // eval: mean cross-entropy (token NLL) on val, whatever the loss
    public double? Lr { get; init; }
    public double? GradNorm { get; init; }
    public double? MsPerStep { get; init; }
    public double? TokensPerS { get; init; }
    public double? Mfu { get; init; }            // model FLOPs utilisation, 0..1
    public int? WorldSize { get; init; }         // train: processes training together (data parallel); absent for one
    public double WallS { get; init; }           // seconds since the run started (summed over resumes)
    public DateTime Time { get; init; }
}

/// <summary>One line of samples.jsonl: text the model wrote at an evaluation.</summary>
public sealed record SampleRecord
{
    public int Step { get; init; }
    public double? ValLoss { get; init; }
    public string Text { get; init; } = "";
    public DateTime Time { get; init; }
}

/// <summary>status.json: what a run is doing, and which process owns it.</summary>
public sealed record RunStatus
{
    public string State { get; init; } = "running";   // running | finished | stopped | failed
    public int Pid { get; init; }
    public string Host { get; init; } = "";
    public DateTime Started { get; init; }
    public DateTime Updated { get; init; }
    public int Step { get; init; }
    public long? Parameters { get; init; }
    public string? Message { get; init; }

    /// <summary>A status owned by this process, updated now.</summary>
    public static RunStatus OfThisProcess(string state, int step, DateTime started, long? parameters = null, string? message = null) => new()
    {
        State = state, Pid = Environment.ProcessId, Host = Environment.MachineName, Started = started, Updated = DateTime.UtcNow,
        Step = step, Parameters = parameters, Message = message,
    };
}
