using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace GptLab.Sweeps;

/// <summary>
/// The study in a SQLite file in the sweep folder (the default storage, one machine). A claim runs in an IMMEDIATE
/// transaction, which takes the write lock up front: two workers cannot both read the same queued row.
/// </summary>
internal sealed class SqliteStudy : SqlStudy
{
    public const string FileName = "study.db";
    private readonly SqliteConnection db;

    private SqliteStudy(string path, bool readOnly = false)
    {
        Path = path;
        db = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path, Pooling = false, DefaultTimeout = 60, Mode = readOnly ? SqliteOpenMode.ReadOnly : SqliteOpenMode.ReadWriteCreate,
        }.ToString());
        db.Open();
        if (readOnly)
        {
            // a watcher (the dashboard): never writes, never takes the write lock from the workers
            Exec("PRAGMA busy_timeout=60000;");
            return;
        }
        Exec("PRAGMA journal_mode=WAL; PRAGMA busy_timeout=60000; PRAGMA synchronous=NORMAL;");
        // studies made before intermediate values were stored get the table on first open
        Exec("CREATE TABLE IF NOT EXISTS evals (trial_id INTEGER NOT NULL, step INTEGER NOT NULL, val_nll REAL NOT NULL, val_loss REAL, time REAL, PRIMARY KEY (trial_id, step))");
        // and the lease epoch (studies made before fencing; a fresh file gets it in Create)
        if (ScalarLong("SELECT COUNT(*) FROM sqlite_master WHERE name = 'trials'", null) > 0 &&
            ScalarLong("SELECT COUNT(*) FROM pragma_table_info('trials') WHERE name = 'lease'", null) == 0)
            Exec("ALTER TABLE trials ADD COLUMN lease INTEGER NOT NULL DEFAULT 0");
    }

    public string Path { get; }
    public override string Location => Path;
    protected override DbConnection Db => db;
    protected override string TrialsTable => "trials";
    protected override string EvalsTable => "evals";
    protected override string Scope => "1 = 1";
    protected override string DbNow => "((julianday('now') - 2440587.5) * 86400.0)";
    protected override void AddScopeParameters(DbCommand cmd) { }

    public static bool Exists(string dir) => File.Exists(System.IO.Path.Combine(dir, FileName));

    public static SqliteStudy Open(string dir)
    {
        string path = System.IO.Path.Combine(dir, FileName);
        if (!File.Exists(path)) throw new GptLabException($"{dir} holds no sweep (no {FileName}) — start one with `gptlab sweep SPEC --out {dir}`");
        return new SqliteStudy(path);
    }

    /// <summary>Opens the study to read only (WAL lets it read while workers write).</summary>
    public static SqliteStudy OpenReadOnly(string dir)
    {
        string path = System.IO.Path.Combine(dir, FileName);
        if (!File.Exists(path)) throw new GptLabException($"{dir} holds no sweep (no {FileName})");
        return new SqliteStudy(path, readOnly: true);
    }

    /// <summary>Creates the study with every phase-0 trial queued.</summary>
    public static SqliteStudy Create(string dir, SweepSpec spec)
    {
        Directory.CreateDirectory(dir);
        string path = System.IO.Path.Combine(dir, FileName);
        if (File.Exists(path)) throw new GptLabException($"{dir} already holds a sweep — use `gptlab sweep resume {dir}`");
        var study = new SqliteStudy(path);
        study.Exec("""
            CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE trials (
              id INTEGER PRIMARY KEY, config_id INTEGER NOT NULL, params TEXT NOT NULL, phase INTEGER NOT NULL, iters INTEGER NOT NULL,
              status TEXT NOT NULL, worker TEXT, heartbeat REAL, attempts INTEGER NOT NULL DEFAULT 0, lease INTEGER NOT NULL DEFAULT 0,
              metric REAL, val_nll REAL, wall_s REAL, tokens_per_s REAL, error TEXT, started REAL, finished REAL,
              UNIQUE (config_id, phase));
            CREATE INDEX trials_status ON trials (status, phase, id);
            """);
        using var tx = study.db.BeginTransaction();
        study.Exec("INSERT INTO meta VALUES ('spec', @v)", [("@v", spec.Source.ToJsonString())], tx);
        study.QueueFirstPhase(spec, tx);
        tx.Commit();
        return study;
    }

    protected override string SpecJson()
    {
        using var cmd = Command("SELECT value FROM meta WHERE key = 'spec'", [], null);
        return cmd.ExecuteScalar() as string ?? throw new GptLabException($"{Path}: the study has no spec");
    }

    protected override DbTransaction BeginClaim()
    {
        for (int attempt = 0; ; attempt++)
        {
            try { return db.BeginTransaction(deferred: false); }
            catch (SqliteException e) when (e.SqliteErrorCode == 5 && attempt < 100) { Thread.Sleep(50); }   // busy: back off, retry
        }
    }

    public override void Dispose() => db.Dispose();
}
