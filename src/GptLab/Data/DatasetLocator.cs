namespace GptLab.Data;

/// <summary>
/// Opens a prepared dataset by folder. The built-in Tiny Shakespeare datasets (<c>…/shakespeare-char</c>,
/// <c>…/shakespeare-gpt2</c>) are prepared on first use, by whichever process gets there first: several sweep
/// workers starting at once wait for one preparation instead of racing.
/// </summary>
public static class DatasetLocator
{
    /// <summary>The tokenizer of a built-in dataset folder name, or null for any other folder.</summary>
    public static string? BuiltInTokenizer(string dir) =>
        Path.GetFileName(Path.TrimEndingDirectorySeparator(dir)) switch
        {
            "shakespeare-char" => "char",
            "shakespeare-gpt2" => "gpt2",
            _ => null,
        };

    public static Dataset Open(string dir, Action<string>? log = null)
    {
        if (!IsPrepared(dir) && BuiltInTokenizer(dir) is string tokenizer)
        {
            string full = Path.GetFullPath(dir);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            using var gate = PrepareLock(full);
            if (!IsPrepared(dir))
            {
                if (Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any())
                    throw new GptLabException(Dataset.NotADataset(dir));
                log?.Invoke($"preparing the built-in Tiny Shakespeare ({tokenizer}) into {dir} …");
                DatasetPreparer.Prepare(new PrepareOptions
                {
                    Source = CorpusSource.BuiltInShakespeare(), Name = "shakespeare", OutDir = dir, Tokenizer = tokenizer,
                });
            }
        }
        return Dataset.Open(dir);
    }

    private static bool IsPrepared(string dir) => File.Exists(Path.Combine(dir, DatasetMeta.FileName));

    /// <summary>An exclusive lock file beside the dataset (advisory, released when the process dies).</summary>
    private static FileStream PrepareLock(string full)
    {
        string path = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.prepare.lock");
        var deadline = DateTime.UtcNow.AddMinutes(10);
        for (int delayMs = 10; ; delayMs = Math.Min(500, delayMs * 2))
        {
            try { return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException) when (DateTime.UtcNow < deadline) { Thread.Sleep(delayMs); }   // another process is preparing it
        }
    }
}
