namespace GptLab.Sweeps;

/// <summary>
/// Where a study lives: its spec and its trials. Every operation is atomic in the store, so workers in other
/// processes (or on other machines) never receive the same trial, and a late result from a worker that lost its
/// trial is ignored. A running trial whose heartbeat stops for <c>heartbeat_timeout</c> is re-queued (or failed after
/// <c>max_attempts</c>); when a halving phase ends, the store queues the configurations the schedule keeps, once.
/// </summary>
public interface IStudyStorage : IDisposable
{
    /// <summary>Where the study is, safe to print (no password).</summary>
    string Location { get; }

    SweepSpec Spec { get; }

    /// <summary>The next queued trial, now running for <paramref name="worker"/>; null when none is queued.</summary>
    Trial? Claim(string worker);

    /// <summary>True while any trial is queued or running (or a phase can still be promoted).</summary>
    bool HasWork();

    void Heartbeat(long id, string worker);

    /// <summary>Records a result; ignored (false) unless <paramref name="worker"/> still holds the trial.</summary>
    bool Complete(long id, string worker, double metric, double valNll, double wallS, double tokensPerS);

    void Fail(long id, string worker, string error);

    /// <summary>Puts a trial this worker holds back in the queue without counting an attempt (the worker was stopped).</summary>
    void Release(long id, string worker);

    /// <summary>Re-queues running trials whose worker has sent no heartbeat for <paramref name="seconds"/> (`sweep
    /// resume`: workers still alive keep theirs).</summary>
    int RequeueSilent(double seconds);

    /// <summary>Re-queues failed trials that have attempts left.</summary>
    int RetryFailed();

    IReadOnlyList<Trial> Trials();

    /// <summary>Records an evaluation of a running trial (ignored unless <paramref name="worker"/> holds it), so
    /// reports and dashboards need only the study, not the trials' folders.</summary>
    void ReportEval(long id, string worker, int step, double valNll, double? valLoss);

    /// <summary>Every reported evaluation, by configuration and step.</summary>
    IReadOnlyList<TrialEval> Evals();
}
