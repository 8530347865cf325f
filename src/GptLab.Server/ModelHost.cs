using GptLab.Checkpoints;

namespace GptLab.Server;

/// <summary>
/// "Try the model": one generation at a time per dashboard process (a second request is told the model is busy,
/// not queued behind a long sample), with the last checkpoint used kept loaded until another is asked for or it
/// is rewritten by a training run.
/// </summary>
internal sealed class ModelHost(int threads) : IDisposable
{
    private readonly SemaphoreSlim gate = new(1, 1);
    private Checkpoint? loaded;
    private (string Dir, DateTime Written) loadedKey;

    /// <summary>Runs <paramref name="work"/> with the checkpoint in <paramref name="dir"/> on a worker thread;
    /// 429 when another generation is running.</summary>
    public async Task<T> Use<T>(string dir, Func<Checkpoint, T> work)
    {
        if (!await gate.WaitAsync(0)) throw new HttpProblem(429, "busy: the model is generating for another request; try again when it ends");
        try
        {
            return await Task.Factory.StartNew(() => work(Load(dir)), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        finally { gate.Release(); }
    }

    private Checkpoint Load(string dir)
    {
        TorchRuntime.Initialize(threads);   // once per process; later calls only check the thread count
        var key = (Path.GetFullPath(dir), File.GetLastWriteTimeUtc(Path.Combine(dir, CheckpointManifest.FileName)));
        if (loaded is null || loadedKey != key)
        {
            loaded?.Dispose();
            loaded = null;
            loaded = CheckpointStore.Load(dir);
            loadedKey = key;
        }
        return loaded;
    }

    public void Dispose()
    {
        loaded?.Dispose();
        gate.Dispose();
    }
}
