using System.Collections.Concurrent;

namespace GptLab.Distributed;

/// <summary>
/// The one thread that calls MPI. Open MPI is initialised from it (MPI_THREAD_FUNNELED: only the initialising thread
/// calls MPI), and every call runs on it in the order it was posted, so gradient buckets can be reduced while
/// backward goes on in the training thread.
/// </summary>
internal sealed class MpiThread
{
    private readonly BlockingCollection<Action> work = [];

    public MpiThread()
    {
        new Thread(() => { foreach (var action in work.GetConsumingEnumerable()) action(); }) { IsBackground = true, Name = "mpi" }.Start();
    }

    /// <summary>Queues <paramref name="action"/>; the task completes when it has run (or faults with its exception).</summary>
    public Task Post(Action action)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        work.Add(() =>
        {
            try
            {
                action();
                done.SetResult();
            }
            catch (Exception e) { done.SetException(e); }
        });
        return done.Task;
    }

    /// <summary>Runs <paramref name="action"/> on the MPI thread and waits for it.</summary>
    public void Run(Action action) => Post(action).GetAwaiter().GetResult();

    public T Run<T>(Func<T> f)
    {
        T result = default!;
        Post(() => { result = f(); }).GetAwaiter().GetResult();
        return result;
    }
}
