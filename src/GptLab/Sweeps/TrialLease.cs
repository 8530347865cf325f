using System.Diagnostics;
using GptLab.Runs;

namespace GptLab.Sweeps;

/// <summary>
/// A worker's hold on a claimed trial, fenced as a lease (Chubby's and GFS's kind): the study stamps each renewal with
/// its own clock and hands the trial to another worker only after <c>heartbeat_timeout</c> without one; the holder
/// counts its lease as valid for 3/4 of that from the moment it <i>sent</i> its last accepted renewal, on its own
/// monotonic clock. Every write into the trial's folder asks <see cref="Check"/> first: inside the window it costs a
/// clock read; past it (the process was paused, the database was slow) it renews synchronously, and a renewal that
/// matches no row — the epoch moved on — means the trial is someone else's: nothing more is written. A timer renews
/// every timeout/4 and trips <see cref="Lost"/> as soon as a renewal fails, so training stops within one heartbeat.
/// </summary>
public sealed class TrialLease : IWriteFence, IDisposable
{
    private readonly IStudyStorage study;
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private readonly TimeSpan valid;
    private readonly CancellationTokenSource lost = new();
    private readonly Timer timer;
    private long validUntilTicks;   // clock ticks (TimeSpan) up to which a write needs no renewal
    private int isLost;

    public TrialLease(IStudyStorage study, Trial held, double timeoutS)
    {
        this.study = study;
        Trial = held;
        valid = TimeSpan.FromSeconds(timeoutS * 0.75);
        validUntilTicks = valid.Ticks;   // the claim itself was the first renewal
        timer = new Timer(_ => Beat(), null, TimeSpan.FromSeconds(Math.Max(0.25, timeoutS / 4)), TimeSpan.FromSeconds(Math.Max(0.25, timeoutS / 4)));
    }

    /// <summary>The claim this lease holds (id, worker, epoch).</summary>
    public Trial Trial { get; }

    /// <summary>Fires once the lease is known to be lost.</summary>
    public CancellationToken Lost => lost.Token;

    public bool IsLost => Volatile.Read(ref isLost) == 1;

    /// <summary>Returns while this worker may write into the trial; throws <see cref="LeaseLostException"/> otherwise.</summary>
    public void Check()
    {
        if (!IsLost && clock.Elapsed.Ticks < Interlocked.Read(ref validUntilTicks)) return;
        if (IsLost || !Renew()) throw new LeaseLostException($"trial {Trial.ConfigId} is no longer held by {Trial.Worker}: another worker took it over (no heartbeat for the study's heartbeat_timeout)");
    }

    /// <summary>One renewal; false (and <see cref="Lost"/> fired) when the study says the lease is gone. A database
    /// that cannot be reached leaves the lease as it was: the next check or beat tries again.</summary>
    private bool Renew()
    {
        if (IsLost) return false;
        var sent = clock.Elapsed;
        bool held;
        try { held = study.Heartbeat(Trial); }
        catch (Exception e) when (e is System.Data.Common.DbException or ObjectDisposedException or InvalidOperationException or TimeoutException)
        {
            return clock.Elapsed.Ticks < Interlocked.Read(ref validUntilTicks);
        }
        if (!held)
        {
            if (Interlocked.Exchange(ref isLost, 1) == 0) lost.Cancel();
            return false;
        }
        long until = (sent + valid).Ticks;
        long seen;
        do { seen = Interlocked.Read(ref validUntilTicks); }
        while (until > seen && Interlocked.CompareExchange(ref validUntilTicks, until, seen) != seen);
        return true;
    }

    private void Beat()
    {
        try { Renew(); }
        catch (ObjectDisposedException) { }   // a beat racing Dispose
    }

    public void Dispose()
    {
        using var done = new ManualResetEvent(false);
        if (timer.Dispose(done)) done.WaitOne();   // no beat runs after the trial is over
        lost.Dispose();
    }
}
