using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace GptLab.Sweeps;

/// <summary>
/// The study in a SQLite file in the sweep folder (the default storage). Workers — separate processes — claim trials inside an
/// IMMEDIATE transaction, so no trial is handed out twice; a running trial whose heartbeat stops (its worker died)
/// is put back in the queue; successive-halving promotions are inserted once, by whichever worker sees the phase end.
/// </summary>
internal sealed class SqliteStudy : IStudyStorage
{
    public const string FileName = "study.db";
    private readonly SqliteConnection db;
    private SweepSpec? spec;

    private SqliteStudy(string path)
    {
        Path = path;
        db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false, DefaultTimeout = 60 }.ToString());
        db.Open();
        Exec("PRAGMA journal_mode=WAL; PRAGMA busy_timeout=60000; PRAGMA synchronous=NORMAL;");
    }

    public string Path { get; }
    public string Location => Path;

    public static bool Exists(string dir) => File.Exists(System.IO.Path.Combine(dir, FileName));

    public static SqliteStudy Open(string dir)
    {
        string path = System.IO.Path.Combine(dir, FileName);
        if (!File.Exists(path)) throw new GptLabException($"{dir} holds no sweep (no {FileName}) — start one with `gptlab sweep SPEC --out {dir}`");
        return new SqliteStudy(path);
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
              status TEXT NOT NULL, worker TEXT, heartbeat REAL, attempts INTEGER NOT NULL DEFAULT 0,
              metric REAL, val_nll REAL, wall_s REAL, tokens_per_s REAL, error TEXT, started REAL, finished REAL,
              UNIQUE (config_id, phase));
            CREATE INDEX trials_status ON trials (status, phase, id);
            """);
        using var tx = study.db.BeginTransaction();
        study.Exec("INSERT INTO meta VALUES ('spec', $v)", ("$v", spec.Source.ToJsonString()), tx);
        int configId = 0;
        foreach (var p in spec.Expand())
            study.Exec("INSERT INTO trials (config_id, params, phase, iters, status) VALUES ($c, $p, 0, $i, 'queued')",
                [("$c", configId++), ("$p", p.ToJson()), ("$i", spec.Phases[0].MaxIters)], tx);
        tx.Commit();
        return study;
    }

    public SweepSpec Spec => spec ??= SweepSpec.Parse(JsonNode.Parse(
        Scalar<string>("SELECT value FROM meta WHERE key = 'spec'") ?? throw new GptLabException($"{Path}: the study has no spec"))!.AsObject());

    private static double Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

    /// <summary>Claims the next queued trial for <paramref name="worker"/>, or null. Stale running trials are
    /// re-queued first (or failed after max_attempts), and a finished phase is promoted.</summary>
    public Trial? Claim(string worker)
    {
        using var tx = Immediate();
        RequeueStale(tx);
        Promote(tx);
        var t = Query("SELECT * FROM trials WHERE status = 'queued' ORDER BY phase, id LIMIT 1", [], tx).FirstOrDefault();
        if (t != null)
            Exec("UPDATE trials SET status = 'running', worker = $w, heartbeat = $h, attempts = attempts + 1, started = $h WHERE id = $id",
                [("$w", worker), ("$h", Now()), ("$id", t.Id)], tx);
        tx.Commit();
        return t is null ? null : t with { Status = "running", Worker = worker, Attempts = t.Attempts + 1 };
    }

    /// <summary>True while any trial is queued or running (or a phase can still be promoted).</summary>
    public bool HasWork()
    {
        using var tx = Immediate();
        RequeueStale(tx);
        Promote(tx);
        long n = ScalarLong("SELECT COUNT(*) FROM trials WHERE status IN ('queued', 'running')", tx);
        tx.Commit();
        return n > 0;
    }

    public void Heartbeat(long id, string worker) =>
        Exec("UPDATE trials SET heartbeat = $h WHERE id = $id AND worker = $w AND status = 'running'", [("$h", Now()), ("$id", id), ("$w", worker)]);

    public bool Complete(long id, string worker, double metric, double valNll, double wallS, double tokensPerS) =>
        Exec("UPDATE trials SET status = 'done', metric = $m, val_nll = $v, wall_s = $ws, tokens_per_s = $t, finished = $f, error = NULL WHERE id = $id AND worker = $w AND status = 'running'",
            [("$m", metric), ("$v", valNll), ("$ws", wallS), ("$t", tokensPerS), ("$f", Now()), ("$id", id), ("$w", worker)]) == 1;

    public void Fail(long id, string worker, string error) =>
        Exec("UPDATE trials SET status = 'failed', error = $e, finished = $f WHERE id = $id AND worker = $w",
            [("$e", error), ("$f", Now()), ("$id", id), ("$w", worker)]);

    /// <summary>Puts one trial of this worker back in the queue (the user stopped the worker).</summary>
    public void Release(long id, string worker) =>
        Exec("UPDATE trials SET status = 'queued', worker = NULL, attempts = MAX(0, attempts - 1) WHERE id = $id AND worker = $w", [("$id", id), ("$w", worker)]);

    public int RequeueSilent(double seconds) =>
        Exec("UPDATE trials SET status = 'queued', worker = NULL WHERE status = 'running' AND heartbeat < $c", [("$c", Now() - seconds)]);

    /// <summary>Re-queues failed trials that have attempts left.</summary>
    public int RetryFailed() =>
        Exec("UPDATE trials SET status = 'queued', worker = NULL, error = NULL WHERE status = 'failed' AND attempts < $a", [("$a", Spec.MaxAttempts)]);

    private void RequeueStale(SqliteTransaction tx)
    {
        double cutoff = Now() - Spec.HeartbeatTimeout;
        Exec("UPDATE trials SET status = 'failed', error = 'worker died ' || attempts || ' times' WHERE status = 'running' AND heartbeat < $c AND attempts >= $a",
            [("$c", cutoff), ("$a", Spec.MaxAttempts)], tx);
        Exec("UPDATE trials SET status = 'queued', worker = NULL WHERE status = 'running' AND heartbeat < $c", [("$c", cutoff)], tx);
    }

    /// <summary>When every trial of the last phase is done or failed, queues the best for the next phase (once).</summary>
    private void Promote(SqliteTransaction tx)
    {
        int phase = (int)ScalarLong("SELECT COALESCE(MAX(phase), 0) FROM trials", tx);
        if (phase + 1 >= Spec.Phases.Count) return;
        if (ScalarLong($"SELECT COUNT(*) FROM trials WHERE phase = {phase} AND status IN ('queued', 'running')", tx) > 0) return;
        foreach (var t in Spec.Promoted(phase, Query($"SELECT * FROM trials WHERE phase = {phase}", [], tx)))
            Exec("INSERT OR IGNORE INTO trials (config_id, params, phase, iters, status) VALUES ($c, $p, $ph, $i, 'queued')",
                [("$c", t.ConfigId), ("$p", t.Params.ToJson()), ("$ph", phase + 1), ("$i", Spec.Phases[phase + 1].MaxIters)], tx);
    }

    public IReadOnlyList<Trial> Trials() => Query("SELECT * FROM trials ORDER BY phase, config_id", [], null);

    private SqliteTransaction Immediate()
    {
        // BEGIN IMMEDIATE takes the write lock up front: two workers cannot both read the same queued row.
        for (int attempt = 0; ; attempt++)
        {
            try { return db.BeginTransaction(deferred: false); }
            catch (SqliteException e) when (e.SqliteErrorCode == 5 && attempt < 100) { Thread.Sleep(50); }
        }
    }

    private int Exec(string sql, (string, object?)[]? args = null, SqliteTransaction? tx = null)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        foreach (var (n, v) in args ?? []) cmd.Parameters.AddWithValue(n, v ?? DBNull.Value);
        return cmd.ExecuteNonQuery();
    }

    private int Exec(string sql, (string, object?) arg, SqliteTransaction? tx = null) => Exec(sql, [arg], tx);

    private T? Scalar<T>(string sql)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        var v = cmd.ExecuteScalar();
        return v is null or DBNull ? default : (T)v;
    }

    private long ScalarLong(string sql, SqliteTransaction? tx)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        return Convert.ToInt64(cmd.ExecuteScalar());
    }

    private List<Trial> Query(string sql, (string, object?)[] args, SqliteTransaction? tx)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        foreach (var (n, v) in args) cmd.Parameters.AddWithValue(n, v ?? DBNull.Value);
        using var r = cmd.ExecuteReader();
        var list = new List<Trial>();
        double? D(string c) => r.IsDBNull(r.GetOrdinal(c)) ? null : r.GetDouble(r.GetOrdinal(c));
        while (r.Read())
            list.Add(new Trial
            {
                Id = r.GetInt64(r.GetOrdinal("id")), ConfigId = r.GetInt32(r.GetOrdinal("config_id")),
                Params = TrialParams.FromJson(r.GetString(r.GetOrdinal("params"))), Phase = r.GetInt32(r.GetOrdinal("phase")),
                Iters = r.GetInt32(r.GetOrdinal("iters")), Status = r.GetString(r.GetOrdinal("status")),
                Worker = r.IsDBNull(r.GetOrdinal("worker")) ? null : r.GetString(r.GetOrdinal("worker")),
                Attempts = r.GetInt32(r.GetOrdinal("attempts")), Metric = D("metric"), ValNll = D("val_nll"), WallS = D("wall_s"),
                TokensPerS = D("tokens_per_s"), Error = r.IsDBNull(r.GetOrdinal("error")) ? null : r.GetString(r.GetOrdinal("error")),
            });
        return list;
    }

    public void Dispose() => db.Dispose();
}
