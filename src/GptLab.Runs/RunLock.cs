using GptLab.IO;

namespace GptLab.Runs;

/// <summary>
/// One writer per run folder: an exclusive OS lock on <c>.lock</c> in the folder (.NET opens it with
/// <see cref="FileShare.None"/>, which is flock(LOCK_EX) on Linux), held from before the first write until the
/// session ends. The kernel drops it when the holder exits, however it exits (kill -9 too), so it never goes
/// stale; a paused holder keeps it, so nothing can write beside a process that may wake up. Who holds it is
/// written to <c>.holder.json</c> beside it (the locked file itself cannot be read by others). Lock files are never
/// deleted: deleting one while another process waits on it would let two processes each hold "the" lock.
/// </summary>
public sealed class RunLock : IDisposable
{
    public const string FileName = ".lock";
    public const string HolderFileName = ".holder.json";
    private readonly FileStream handle;

    private RunLock(FileStream handle) => this.handle = handle;

    /// <summary>The lock when free now, else null (the folder is created if missing).</summary>
    public static RunLock? TryAcquire(string dir)
    {
        string full = Path.GetFullPath(dir);
        Directory.CreateDirectory(full);
        FileStream fs;
        try { fs = new FileStream(Path.Combine(full, FileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
        catch (IOException e) when (!AtomicFile.IsDiskFull(e)) { return null; }   // EWOULDBLOCK: another process holds it
        Json.Write(Path.Combine(full, HolderFileName), RunHolder.OfThisProcess());
        return new RunLock(fs);
    }

    /// <summary>The lock, or a one-line error naming the process that holds it.</summary>
    public static RunLock Acquire(string dir) =>
        TryAcquire(dir) ?? throw new GptLabException($"{Path.GetFullPath(dir)} is being trained by {Describe(HolderOf(dir, waitForFresh: true))} — stop it first, or use another folder");

    /// <summary>Waits for the lock (a sweep worker taking over a trial whose last holder may still be letting go);
    /// <paramref name="waiting"/> is told once who holds it. Cancelled by <paramref name="cancel"/>.</summary>
    public static RunLock Wait(string dir, CancellationToken cancel, Action<string>? waiting = null)
    {
        bool told = false;
        while (true)
        {
            if (TryAcquire(dir) is RunLock held) return held;
            if (!told)
            {
                waiting?.Invoke($"waiting for {Describe(HolderOf(dir, waitForFresh: true))} to let go of {Path.GetFullPath(dir)}");
                told = true;
            }
            if (cancel.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(100))) cancel.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Who holds (or last held) the folder's lock; null when no holder was ever recorded.
    /// <paramref name="waitForFresh"/>: a holder that has just taken the lock writes its record a moment later, so
    /// a record of a process that is gone is re-read for up to a second.</summary>
    public static RunHolder? HolderOf(string dir, bool waitForFresh = false)
    {
        string path = Path.Combine(Path.GetFullPath(dir), HolderFileName);
        var until = DateTime.UtcNow.AddSeconds(waitForFresh ? 1 : 0);
        while (true)
        {
            RunHolder? h = null;
            try { h = File.Exists(path) ? Json.Read<RunHolder>(path, "the run's lock holder record is damaged") : null; }
            catch (GptLabException) { }
            catch (IOException) { }
            if ((h is not null && h.MayBeAlive()) || DateTime.UtcNow >= until) return h;
            Thread.Sleep(20);   // bounded re-read of a record the new holder is about to write
        }
    }

    private static string Describe(RunHolder? h) => h is null ? "another process" : $"process {h.Pid} on {h.Host}";

    public void Dispose() => handle.Dispose();
}

/// <summary>The process holding a run folder's lock.</summary>
public sealed record RunHolder
{
    public int Pid { get; init; }
    public string Host { get; init; } = "";
    public DateTime Since { get; init; }

    public static RunHolder OfThisProcess() => new() { Pid = Environment.ProcessId, Host = Environment.MachineName, Since = DateTime.UtcNow };

    /// <summary>False only for a process of this host that is gone.</summary>
    public bool MayBeAlive() => Host != Environment.MachineName || RunSummary.IsAlive(Pid, Since);
}
