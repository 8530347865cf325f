namespace GptLab.Sweeps;

/// <summary>Opens and creates studies; the CLI never picks a storage itself.</summary>
public static class Study
{
    public const string FileName = SqliteStudy.FileName;

    public static bool Exists(string dir) => SqliteStudy.Exists(dir);

    /// <summary>Creates the study with every phase-0 trial queued; an existing study is an error.</summary>
    public static IStudyStorage Create(string dir, SweepSpec spec) => SqliteStudy.Create(dir, spec);

    public static IStudyStorage Open(string dir) => SqliteStudy.Open(dir);

    public static StudyStatus Status(this IStudyStorage study) => StudyStatus.Of(study.Trials(), study.Spec);
}
