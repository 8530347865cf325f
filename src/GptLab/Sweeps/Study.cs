namespace GptLab.Sweeps;

/// <summary>Opens and creates studies in their storage; the CLI never picks a storage itself.</summary>
public static class Study
{
    public const string FileName = SqliteStudy.FileName;

    public static bool Exists(string dir) => SqliteStudy.Exists(dir);

    public static bool Exists(StudyLocation at) => at.IsPostgres ? PostgresStudy.Exists(at.Storage!, at.Name!) : SqliteStudy.Exists(at.Artifacts);

    /// <summary>Creates the study with every phase-0 trial queued; an existing study is an error.</summary>
    public static IStudyStorage Create(string dir, SweepSpec spec) => SqliteStudy.Create(dir, spec);

    public static IStudyStorage Create(StudyLocation at, SweepSpec spec)
    {
        if (!at.IsPostgres) return SqliteStudy.Create(at.Artifacts, spec);
        Directory.CreateDirectory(at.Artifacts);
        return PostgresStudy.Create(at.Storage!, at.Name!, spec);
    }

    public static IStudyStorage Open(string dir) => SqliteStudy.Open(dir);

    /// <summary>Deletes a study: its rows in PostgreSQL (other studies stay), or the SQLite file and its journal.</summary>
    public static void Delete(StudyLocation at)
    {
        if (at.IsPostgres) PostgresStudy.Delete(at.Storage!, at.Name!);
        else foreach (var suffix in new[] { "", "-wal", "-shm" }) File.Delete(Path.Combine(at.Artifacts, SqliteStudy.FileName + suffix));
    }

    public static IStudyStorage Open(StudyLocation at) => at.IsPostgres ? PostgresStudy.Open(at.Storage!, at.Name!) : SqliteStudy.Open(at.Artifacts);

    /// <summary>Opens the study to watch it (the dashboard): a SQLite study read-only, so it never holds a lock a
    /// worker waits for.</summary>
    public static IStudyStorage OpenReadOnly(StudyLocation at) => at.IsPostgres ? PostgresStudy.Open(at.Storage!, at.Name!) : SqliteStudy.OpenReadOnly(at.Artifacts);

    public static StudyStatus Status(this IStudyStorage study) => StudyStatus.Of(study.Trials(), study.Spec);
}
