namespace GptLab.Sweeps;

/// <summary>
/// Where a study lives: its spec and its trials. Every operation is atomic in the store, so workers in other
/// processes (or on other machines) never receive the same trial, and a late result from a worker that lost its
/// trial is ignored. A running trial whose heartbeat stops for <c>heartbeat_timeout</c> is re-queued (or failed after
/// <c>max_attempts</c>); when a halving phase ends, the store queues the configurations the schedule keeps, once.
/// A claim is a lease: the <see cref="Trial"/> it returns carries the worker and an epoch (<see cref="Trial.Lease"/>,
/// raised by every claim), and each write of the holder names it — a write whose lease was taken over matches no row.
/// </summary>
public interface IStudyStorage : IDisposable
{
    /// <summary>Where the study is, safe to print (no password).</summary>
    string Location { get; }

    SweepSpec Spec { get; }

    /// <summary>The next queued trial, now running for <paramref name="worker"/> under a new lease; null when none is
    /// queued.</summary>
    Trial? Claim(string worker);

    /// <summary>True while any trial is queued or running (or a phase can still be promoted).</summary>
    bool HasWork();

    /// <summary>Renews the lease <paramref name="held"/> (stamped with the database's clock); false when it is no
    /// longer held — another worker has the trial, or it was re-queued.</summary>
    bool Heartbeat(Trial held);

    /// <summary>Records a result; ignored (false) unless the lease <paramref name="held"/> is still held.</summary>
    bool Complete(Trial held, double metric, double valNll, double wallS, double tokensPerS);

    void Fail(Trial held, string error);

    /// <summary>Stops a trial the pruner judged hopeless: status "pruned", its last intermediate value and the reason
    /// kept (its run folder and checkpoint stay); ignored (false) unless the lease is still held.</summary>
    bool Prune(Trial held, double valNll, double wallS, string reason);

    /// <summary>Puts a held trial back in the queue without counting an attempt (the worker was stopped).</summary>
    void Release(Trial held);

    /// <summary>Re-queues running trials whose worker has sent no heartbeat for <paramref name="seconds"/> (`sweep
    /// resume`: workers still alive keep theirs).</summary>
    int RequeueSilent(double seconds);

    /// <summary>Re-queues failed trials that have attempts left.</summary>
    int RetryFailed();

    IReadOnlyList<Trial> Trials();

    /// <summary>Records an evaluation of a running trial (ignored unless the lease <paramref name="held"/> is still
    /// held), so reports and dashboards need only the study, not the trials' folders.</summary>
    void ReportEval(Trial held, int step, double valNll, double? valLoss);

    /// <summary>Every reported evaluation, by configuration and step.</summary>
    IReadOnlyList<TrialEval> Evals();
}
