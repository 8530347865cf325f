namespace GptLab.Sweeps;

/// <summary>
/// Where a study is: its storage (null: a SQLite file in the artifacts folder; a PostgreSQL URL: a shared database),
/// its name within that storage, and the folder every worker writes trial runs to (<c>trials/NNNN</c>).
/// </summary>
public sealed record StudyLocation(string Artifacts, string? Storage = null, string? Name = null)
{
    public bool IsPostgres => StudyUrl.IsPostgres(Storage);

    /// <summary>From the CLI's flags: <c>--storage</c> (or <c>GPTLAB_STORAGE</c>), <c>--study</c>, <c>--artifacts</c> / the folder.</summary>
    public static StudyLocation From(string? dir, string? storage, string? study, string? artifacts)
    {
        storage ??= Environment.GetEnvironmentVariable("GPTLAB_STORAGE");
        if (storage is not null && !StudyUrl.IsPostgres(storage))
        {
            // a SQLite path: the folder that holds study.db
            string folder = storage.EndsWith(".db", StringComparison.OrdinalIgnoreCase) ? Path.GetDirectoryName(Path.GetFullPath(storage))! : storage;
            return new StudyLocation(artifacts ?? dir ?? folder);
        }
        if (storage is null)
        {
            string folder = artifacts ?? dir ?? throw new GptLabException("give the sweep folder, or --storage URL --study NAME --artifacts DIR");
            return new StudyLocation(folder);
        }
        if (study is null) throw new GptLabException("--storage postgresql://… needs --study NAME (several studies share one database)");
        // status and report need only the database; workers and new studies name the shared folder
        return new StudyLocation(artifacts ?? dir ?? Path.Combine(".", study), storage, study);
    }

    public override string ToString() => IsPostgres ? $"{StudyUrl.Mask(Storage!)} study {Name}" : Artifacts;
}
