using System.Data;
using System.Data.Common;
using Npgsql;
using Polly;
using Polly.Retry;

namespace GptLab.Sweeps;

/// <summary>
/// A study in PostgreSQL, for workers on many machines (Optuna's RDB storage, in spirit). Several studies share one
/// database, by name. A claim holds a transaction-scoped advisory lock on its study, so claims, re-queues and
/// promotions of one study are serialized while other studies go on; the next trial is taken with
/// <c>FOR UPDATE SKIP LOCKED</c>. A dropped connection is retried with exponential back-off (Polly); every write is
/// conditional on the worker still holding the trial, so a retried result is never recorded twice.
/// </summary>
internal sealed class PostgresStudy : SqlStudy
{
    private const long LockBase = 0x67_70_74_6C_00_00_00_00;   // "gptl" in the high bytes: advisory lock keys of studies
    private readonly NpgsqlConnection db;
    private readonly ResiliencePipeline retry;
    private readonly string display;
    private int studyId;

    private PostgresStudy(string url, bool createSchema, bool requireSchema = true)
    {
        var cs = StudyUrl.ToConnectionString(url);
        display = StudyUrl.Mask(url);
        db = new NpgsqlConnection(cs);
        retry = new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<NpgsqlException>(e => e is not PostgresException { SqlState: "42501" or "42P01" or "42703" })
                .Handle<InvalidOperationException>(_ => db.State != ConnectionState.Open),
            MaxRetryAttempts = 12, BackoffType = DelayBackoffType.Exponential, Delay = TimeSpan.FromMilliseconds(200),
            MaxDelay = TimeSpan.FromSeconds(5), UseJitter = true,
            OnRetry = _ =>
            {
                // a broken connection is reopened before the next try
                if (db.State != ConnectionState.Open)
                {
                    try { db.Close(); } catch (NpgsqlException) { }
                }
                return ValueTask.CompletedTask;
            },
        }).Build();
        try { EnsureOpen(); }   // one try: a wrong URL is said at once (later drops are retried)
        catch (NpgsqlException e) { throw new GptLabException($"cannot reach the study database {display}: {StudyUrl.Scrub(e.Message.Split('\n')[0], url)}"); }
        var schema = Run(SchemaState);
        HasSchema = schema != Schema.Missing;
        if (schema == Schema.Current || (schema == Schema.Missing && !requireSchema && !createSchema)) return;
        if (!createSchema && schema == Schema.Missing)
            throw new GptLabException($"{display} holds no GptLab studies (no gptlab_trials table) — create one with `gptlab sweep SPEC --storage URL --study NAME`");
        // the tables are made once, by the first `gptlab sweep` (or brought up to date by the first open after an
        // upgrade); workers and readers afterwards need only read/write grants (README: "Sweeps on PostgreSQL")
        try { Run(() => { CreateSchema(); return 0; }); }
        catch (PostgresException e) when (e.SqlState == "42501")
        {
            throw new GptLabException(schema == Schema.Missing
                ? $"{display}: this role may not create the study tables ({e.MessageText}) — run the first `gptlab sweep` as a role with CREATE on the schema, or have its owner grant it"
                : $"{display}: the study tables predate this GptLab (no lease column) and this role may not alter them ({e.MessageText}) — run `gptlab sweep status --storage URL --study NAME` once as the tables' owner");
        }
    }

    private enum Schema { Missing, Outdated, Current }

    private bool HasSchema { get; }

    /// <summary>What the database holds, read without writing (a reader's grants suffice).</summary>
    private Schema SchemaState()
    {
        using var cmd = Command("""
            SELECT (to_regclass('gptlab_trials') IS NOT NULL AND to_regclass('gptlab_evals') IS NOT NULL)::int,
                   (SELECT COUNT(*) FROM information_schema.columns WHERE table_name = 'gptlab_trials' AND column_name = 'lease' AND table_schema = current_schema())::int
            """, [], null);
        using var r = cmd.ExecuteReader();
        r.Read();
        return r.GetInt32(0) == 0 ? Schema.Missing : r.GetInt32(1) == 0 ? Schema.Outdated : Schema.Current;
    }

    private void CreateSchema()
    {
        // several processes may start at once: create the schema under a session lock
        Exec($"SELECT pg_advisory_lock({LockBase})");
        try
        {
            Exec("""
                CREATE TABLE IF NOT EXISTS gptlab_studies (id SERIAL PRIMARY KEY, name TEXT UNIQUE NOT NULL, spec TEXT NOT NULL, created DOUBLE PRECISION NOT NULL);
                CREATE TABLE IF NOT EXISTS gptlab_trials (
                  id BIGSERIAL PRIMARY KEY, study_id INT NOT NULL REFERENCES gptlab_studies(id), config_id INT NOT NULL, params TEXT NOT NULL,
                  phase INT NOT NULL, iters INT NOT NULL, status TEXT NOT NULL, worker TEXT, heartbeat DOUBLE PRECISION,
                  attempts INT NOT NULL DEFAULT 0, metric DOUBLE PRECISION, val_nll DOUBLE PRECISION, wall_s DOUBLE PRECISION,
                  tokens_per_s DOUBLE PRECISION, error TEXT, started DOUBLE PRECISION, finished DOUBLE PRECISION,
                  UNIQUE (study_id, config_id, phase));
                ALTER TABLE gptlab_trials ADD COLUMN IF NOT EXISTS lease BIGINT NOT NULL DEFAULT 0;
                CREATE INDEX IF NOT EXISTS gptlab_trials_queue ON gptlab_trials (study_id, status, phase, id);
                CREATE TABLE IF NOT EXISTS gptlab_evals (
                  trial_id BIGINT NOT NULL REFERENCES gptlab_trials(id), step INT NOT NULL, val_nll DOUBLE PRECISION NOT NULL,
                  val_loss DOUBLE PRECISION, time DOUBLE PRECISION, PRIMARY KEY (trial_id, step));
                """);
        }
        finally { Exec($"SELECT pg_advisory_unlock({LockBase})"); }
    }

    public string Name { get; private set; } = "";
    public override string Location => $"{display} (study {Name})";
    protected override DbConnection Db => db;
    protected override string TrialsTable => "gptlab_trials";
    protected override string EvalsTable => "gptlab_evals";
    protected override string Scope => "study_id = @study";
    protected override string DbNow => "EXTRACT(EPOCH FROM clock_timestamp())::float8";
    protected override string ScopeOf(string alias) => $"{alias}.study_id = @study";
    protected override string ScopeColumns => "study_id, ";
    protected override string ScopeValues => "@study, ";
    protected override string LockNext => " FOR UPDATE SKIP LOCKED";

    protected override void AddScopeParameters(DbCommand cmd)
    {
        if (cmd.CommandText.Contains("@study", StringComparison.Ordinal)) ((NpgsqlCommand)cmd).Parameters.AddWithValue("@study", studyId);
    }

    public static PostgresStudy Open(string url, string name)
    {
        var s = new PostgresStudy(url, createSchema: false) { Name = name };
        using (var cmd = s.Command("SELECT id FROM gptlab_studies WHERE name = @n", [("@n", name)], null))
            s.studyId = s.Run(() => cmd.ExecuteScalar()) is int id ? id
                : throw new GptLabException($"{s.display} holds no study '{name}' — create it with `gptlab sweep SPEC --storage URL --study {name}`");
        return s;
    }

    public static bool Exists(string url, string name)
    {
        using var s = new PostgresStudy(url, createSchema: false, requireSchema: false);
        if (!s.HasSchema) return false;
        using var cmd = s.Command("SELECT COUNT(*) FROM gptlab_studies WHERE name = @n", [("@n", name)], null);
        return Convert.ToInt64(s.Run(() => cmd.ExecuteScalar())) > 0;
    }

    public static void Delete(string url, string name)
    {
        using var s = Open(url, name);
        s.Run(() =>
        {
            using var tx = s.db.BeginTransaction();
            s.Exec("DELETE FROM gptlab_evals WHERE trial_id IN (SELECT id FROM gptlab_trials WHERE study_id = @study)", [], tx);
            s.Exec("DELETE FROM gptlab_trials WHERE study_id = @study", [], tx);
            s.Exec("DELETE FROM gptlab_studies WHERE id = @study", [], tx);
            tx.Commit();
            return 0;
        });
    }

    public static PostgresStudy Create(string url, string name, SweepSpec spec)
    {
        var s = new PostgresStudy(url, createSchema: true) { Name = name };
        s.Run(() =>
        {
            using var tx = s.db.BeginTransaction();
            using (var cmd = s.Command("INSERT INTO gptlab_studies (name, spec, created) VALUES (@n, @s, @c) ON CONFLICT (name) DO NOTHING RETURNING id",
                       [("@n", name), ("@s", spec.Source.ToJsonString()), ("@c", Now())], tx))
                s.studyId = cmd.ExecuteScalar() is int id ? id
                    : throw new GptLabException($"study '{name}' already exists in {s.display} — use `gptlab sweep resume --storage URL --study {name}`, or another --study");
            s.QueueFirstPhase(spec, tx);
            tx.Commit();
            return 0;
        });
        return s;
    }

    protected override string SpecJson()
    {
        using var cmd = Command("SELECT spec FROM gptlab_studies WHERE id = @study", [], null);
        return Run(() => cmd.ExecuteScalar()) as string ?? throw new GptLabException($"{Location}: the study has no spec");
    }

    protected override DbTransaction BeginClaim()
    {
        EnsureOpen();
        var tx = db.BeginTransaction();
        Exec($"SELECT pg_advisory_xact_lock({LockBase} + @study)", [], tx);
        return tx;
    }

    protected override T Attempt<T>(Func<T> op) => retry.Execute(() =>
    {
        EnsureOpen();
        return op();
    });

    private void EnsureOpen()
    {
        if (db.State == ConnectionState.Open) return;
        if (db.State != ConnectionState.Closed) db.Close();
        db.Open();
    }

    public override void Dispose() => db.Dispose();
}
