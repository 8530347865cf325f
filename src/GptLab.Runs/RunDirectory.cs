using System.Text.Json;
using GptLab.IO;

namespace GptLab.Runs;

/// <summary>
/// A run's folder: config.json, metrics.jsonl, samples.jsonl, status.json, checkpoints/{last,best}/, report/.
/// The .jsonl files are append-only and flushed line by line, so they can be read while the run trains.
/// </summary>
public sealed class RunDirectory
{
    public RunDirectory(string path) => Path = System.IO.Path.GetFullPath(path);

    public string Path { get; }

    /// <summary>Asked before every write (a sweep trial's lease); null: this process owns the folder outright.</summary>
    public IWriteFence? Fence { get; init; }

    /// <summary>Throws <see cref="LeaseLostException"/> when this process may no longer write here.</summary>
    public void CheckWrite() => Fence?.Check();
    public string Name => System.IO.Path.GetFileName(Path);
    public string ConfigPath => System.IO.Path.Combine(Path, "config.json");
    public string MetricsPath => System.IO.Path.Combine(Path, "metrics.jsonl");
    public string SamplesPath => System.IO.Path.Combine(Path, "samples.jsonl");
    public string StatusPath => System.IO.Path.Combine(Path, "status.json");
    public string CheckpointsDir => System.IO.Path.Combine(Path, "checkpoints");
    public string LastCheckpoint => System.IO.Path.Combine(CheckpointsDir, "last");
    public string BestCheckpoint => System.IO.Path.Combine(CheckpointsDir, "best");
    public string ReportDir => System.IO.Path.Combine(Path, "report");

    public bool Exists => File.Exists(ConfigPath);

    /// <summary>The dataset folder the run trained on: the absolute path its checkpoint recorded, else its config's
    /// <c>dataset</c>; null when neither is there.</summary>
    public string? DatasetDirectory()
    {
        foreach (var ck in new[] { LastCheckpoint, BestCheckpoint })
        {
            string manifest = System.IO.Path.Combine(ck, "manifest.json");
            if (File.Exists(manifest) && ReadKey(manifest, "dataset_path") is string d && Directory.Exists(d)) return System.IO.Path.GetFullPath(d);
        }
        return File.Exists(ConfigPath) && ReadKey(ConfigPath, "dataset") is string c && Directory.Exists(c) ? System.IO.Path.GetFullPath(c) : null;
    }

    private static string? ReadKey(string jsonFile, string key)
    {
        try { return System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(jsonFile))?[key]?.GetValue<string>(); }
        catch (Exception e) when (e is IOException or JsonException or InvalidOperationException or FormatException) { return null; }
    }

    public void Create()
    {
        CheckWrite();
        Directory.CreateDirectory(Path);
        Directory.CreateDirectory(CheckpointsDir);
    }

    public void AppendMetric(MetricRecord record) => AppendChecked(MetricsPath, JsonSerializer.Serialize(record, Json.Line));

    public void AppendSample(SampleRecord record) => AppendChecked(SamplesPath, JsonSerializer.Serialize(record, Json.Line));

    public void WriteStatus(RunStatus status)
    {
        CheckWrite();
        Json.Write(StatusPath, status);
    }

    /// <summary>Writes the run's effective config.</summary>
    public void WriteConfig<T>(T config)
    {
        CheckWrite();
        Json.Write(ConfigPath, config);
    }

    public RunStatus? ReadStatus() => File.Exists(StatusPath) ? Json.Read<RunStatus>(StatusPath, "the run's status file is damaged") : null;

    public IReadOnlyList<MetricRecord> ReadMetrics() => JsonLines.ReadAll<MetricRecord>(MetricsPath);

    public IReadOnlyList<SampleRecord> ReadSamples() => JsonLines.ReadAll<SampleRecord>(SamplesPath);

    /// <summary>Drops metric and sample lines past <paramref name="step"/> (a resume rewinds to its checkpoint).</summary>
    public void TruncateAfter(int step, bool keepEvalAtStep)
    {
        CheckWrite();
        // A train line's step counts iterations done, so the checkpoint's own step stays; an eval at that step stays
        // only if the checkpoint was taken after it (otherwise the resumed run evaluates again).
        Rewrite(MetricsPath, ReadMetrics().Where(m => m.Kind == "train" ? m.Step <= step : m.Step < step || (m.Step == step && keepEvalAtStep)), Json.Line);
        Rewrite(SamplesPath, ReadSamples().Where(s => s.Step < step || (s.Step == step && keepEvalAtStep)), Json.Line);
    }

    private static void Rewrite<T>(string path, IEnumerable<T> items, JsonSerializerOptions options)
    {
        if (!File.Exists(path)) return;
        AtomicFile.WriteAllLines(path, items.Select(i => JsonSerializer.Serialize(i, options)));
    }

    private static readonly Lock WriteLock = new();

    /// <summary>Removes everything in the folder but its lock (a trial started over by the worker that holds it).</summary>
    public void Clear()
    {
        CheckWrite();
        if (!Directory.Exists(Path)) return;
        foreach (var f in Directory.GetFiles(Path))
            if (System.IO.Path.GetFileName(f) is not (RunLock.FileName or RunLock.HolderFileName)) File.Delete(f);
        foreach (var d in Directory.GetDirectories(Path)) Directory.Delete(d, recursive: true);
    }

    private void AppendChecked(string path, string line)
    {
        CheckWrite();
        AppendLine(path, line);
    }

    private static void AppendLine(string path, string line)
    {
        lock (WriteLock)
        {
            using var fs = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
            using var w = new StreamWriter(fs);
            w.Write(line);
            w.Write('\n');
        }
    }
}
