using System.Data.Common;
using System.Text.Json.Nodes;

namespace GptLab.Sweeps;

/// <summary>
/// A study in a SQL database: the queue of trials, claims, heartbeats, results, intermediate values and halving
/// promotions, written once over ADO.NET. A claim runs in one transaction that first re-queues trials whose worker
/// went silent, promotes a finished phase (the schedule's rule, <see cref="SweepSpec.Promoted"/>), then takes the
/// next queued trial, so workers anywhere agree. The two stores differ only in how that transaction excludes the
/// others (<see cref="BeginClaim"/>), their table names and the study a row belongs to.
/// </summary>
internal abstract class SqlStudy : IStudyStorage
{
    private SweepSpec? spec;

    protected abstract DbConnection Db { get; }

    /// <summary>The trials table and the predicate that selects this study's rows in it.</summary>
    protected abstract string TrialsTable { get; }
    protected abstract string EvalsTable { get; }
    protected abstract string Scope { get; }

    /// <summary>A transaction that excludes every other claim of this study until it commits.</summary>
    protected abstract DbTransaction BeginClaim();

    /// <summary>What follows "LIMIT 1" when the next queued trial is selected (PostgreSQL: FOR UPDATE SKIP LOCKED).</summary>
    protected virtual string LockNext => "";

    private readonly Lock gate = new();

    /// <summary>Runs one storage operation, one at a time (the heartbeat timer shares the connection).</summary>
    protected T Run<T>(Func<T> op)
    {
        lock (gate) return Attempt(op);
    }

    /// <summary>One try of an operation (PostgreSQL retries it with back-off when the connection drops).</summary>
    protected virtual T Attempt<T>(Func<T> op) => op();

    protected abstract string SpecJson();
    protected abstract void AddScopeParameters(DbCommand cmd);

    public abstract string Location { get; }

    public SweepSpec Spec => spec ??= SweepSpec.Parse(JsonNode.Parse(SpecJson())!.AsObject());

    protected static double Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

    /// <summary>The database's clock in Unix seconds, as SQL: heartbeats are stamped and judged by one clock, whatever
    /// the workers' clocks say.</summary>
    protected abstract string DbNow { get; }

    /// <summary>The predicate that a write of the lease holder <c>@id/@w/@l</c> needs.</summary>
    private const string Held = "id = @id AND worker = @w AND lease = @l AND status = 'running'";

    private static (string, object?)[] HeldArgs(Trial t, params (string, object?)[] more) =>
        [("@id", t.Id), ("@w", t.Worker ?? ""), ("@l", t.Lease), .. more];

    /// <summary>Queues every phase-0 configuration of <paramref name="s"/> (inside the creating transaction).</summary>
    protected void QueueFirstPhase(SweepSpec s, DbTransaction tx)
    {
        if (s.Method == SweepMethod.Tpe) return;   // TPE picks each configuration when a worker asks (Claim)
        int configId = 0;
        foreach (var p in s.Expand())
            Exec($"INSERT INTO {TrialsTable} ({ScopeColumns}config_id, params, phase, iters, status) VALUES ({ScopeValues}@c, @p, 0, @i, 'queued')",
                [("@c", configId++), ("@p", p.ToJson()), ("@i", s.Phases[0].MaxIters)], tx);
    }

    /// <summary>The study column and value of an insert ("" for a file that holds one study).</summary>
    protected virtual string ScopeColumns => "";
    protected virtual string ScopeValues => "";

    public Trial? Claim(string worker) => Run(() =>
    {
        _ = Spec;   // read outside the claim's transaction
        using var tx = BeginClaim();
        RequeueStale(tx);
        Promote(tx);
        var t = Query($"SELECT * FROM {TrialsTable} WHERE {Scope} AND status = 'queued' ORDER BY phase, id LIMIT 1{LockNext}", [], tx).FirstOrDefault()
                ?? NextTpeTrial(tx);
        if (t != null)
            Exec($"UPDATE {TrialsTable} SET status = 'running', worker = @w, heartbeat = {DbNow}, attempts = attempts + 1, lease = lease + 1, started = @h WHERE id = @id",
                [("@w", worker), ("@h", Now()), ("@id", t.Id)], tx);
        tx.Commit();
        return t is null ? null : t with { Status = "running", Worker = worker, Attempts = t.Attempts + 1, Lease = t.Lease + 1 };
    });

    public bool HasWork() => Run(() =>
    {
        _ = Spec;
        using var tx = BeginClaim();
        RequeueStale(tx);
        Promote(tx);
        long n = ScalarLong($"SELECT COUNT(*) FROM {TrialsTable} WHERE {Scope} AND status IN ('queued', 'running')", tx);
        bool more = Spec.Method == SweepMethod.Tpe && ScalarLong($"SELECT COUNT(*) FROM {TrialsTable} WHERE {Scope}", tx) < Spec.MaxTrials;
        tx.Commit();
        return n > 0 || more;
    });

    /// <summary>TPE: while fewer than max_trials exist, a new configuration sampled from the trials so far, queued
    /// (inside the claim's transaction, which excludes every other claim: two workers never draw from the same state).</summary>
    private Trial? NextTpeTrial(DbTransaction tx)
    {
        if (Spec.Method != SweepMethod.Tpe) return null;
        var all = Query($"SELECT * FROM {TrialsTable} WHERE {Scope} ORDER BY id", [], tx);
        if (all.Count >= Spec.MaxTrials) return null;
        var p = Spec.Next(all);
        int configId = all.Count == 0 ? 0 : all.Max(t => t.ConfigId) + 1;
        Exec($"INSERT INTO {TrialsTable} ({ScopeColumns}config_id, params, phase, iters, status) VALUES ({ScopeValues}@c, @p, 0, @i, 'queued')",
            [("@c", configId), ("@p", p.ToJson()), ("@i", Spec.Phases[0].MaxIters)], tx);
        return Query($"SELECT * FROM {TrialsTable} WHERE {Scope} AND config_id = @c AND phase = 0", [("@c", configId)], tx).Single();
    }

    public bool Heartbeat(Trial held) =>
        Run(() => Exec($"UPDATE {TrialsTable} SET heartbeat = {DbNow} WHERE {Held}", HeldArgs(held)) == 1);

    public bool Complete(Trial held, double metric, double valNll, double wallS, double tokensPerS) => Run(() =>
        Exec($"UPDATE {TrialsTable} SET status = 'done', metric = @m, val_nll = @v, wall_s = @ws, tokens_per_s = @t, finished = @f, error = NULL WHERE {Held}",
            HeldArgs(held, ("@m", metric), ("@v", valNll), ("@ws", wallS), ("@t", tokensPerS), ("@f", Now()))) == 1);

    public bool Prune(Trial held, double valNll, double wallS, string reason) => Run(() =>
        Exec($"UPDATE {TrialsTable} SET status = 'pruned', metric = NULL, val_nll = @v, wall_s = @ws, error = @e, finished = @f WHERE {Held}",
            HeldArgs(held, ("@v", valNll), ("@ws", wallS), ("@e", reason), ("@f", Now()))) == 1);

    public void Fail(Trial held, string error) =>
        Run(() => Exec($"UPDATE {TrialsTable} SET status = 'failed', error = @e, finished = @f WHERE {Held}", HeldArgs(held, ("@e", error), ("@f", Now()))));

    public void Release(Trial held) =>
        Run(() => Exec($"UPDATE {TrialsTable} SET status = 'queued', worker = NULL, attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END WHERE {Held}", HeldArgs(held)));

    public int RequeueSilent(double seconds) =>
        Run(() => Exec($"UPDATE {TrialsTable} SET status = 'queued', worker = NULL WHERE {Scope} AND status = 'running' AND heartbeat < {DbNow} - @c", [("@c", seconds)]));

    public int RetryFailed() =>
        Run(() => Exec($"UPDATE {TrialsTable} SET status = 'queued', worker = NULL, error = NULL WHERE {Scope} AND status = 'failed' AND attempts < @a", [("@a", Spec.MaxAttempts)]));

    public void ReportEval(Trial held, int step, double valNll, double? valLoss) =>
        Run(() => Exec($"INSERT INTO {EvalsTable} (trial_id, step, val_nll, val_loss, time) SELECT id, @s, @n, @vl, @t FROM {TrialsTable} WHERE {Held} ON CONFLICT (trial_id, step) DO UPDATE SET val_nll = excluded.val_nll, val_loss = excluded.val_loss",
            HeldArgs(held, ("@s", step), ("@n", valNll), ("@vl", valLoss), ("@t", Now()))));

    public IReadOnlyList<TrialEval> Evals() => Run(() =>
    {
        using var cmd = Command($"SELECT t.config_id, t.phase, e.step, e.val_nll FROM {EvalsTable} e JOIN {TrialsTable} t ON t.id = e.trial_id WHERE {ScopeOf("t")} ORDER BY t.config_id, e.step, t.phase", [], null);
        using var r = cmd.ExecuteReader();
        var list = new List<TrialEval>();
        while (r.Read()) list.Add(new TrialEval(r.GetInt32(0), r.GetInt32(1), r.GetInt32(2), r.GetDouble(3)));
        return list;
    });

    /// <summary>The scope predicate for an aliased trials table.</summary>
    protected virtual string ScopeOf(string alias) => Scope;

    public IReadOnlyList<Trial> Trials() => Run(() => Query($"SELECT * FROM {TrialsTable} WHERE {Scope} ORDER BY phase, config_id", [], null));

    private void RequeueStale(DbTransaction tx)
    {
        double timeout = Spec.HeartbeatTimeout;
        Exec($"UPDATE {TrialsTable} SET status = 'failed', error = 'worker died ' || attempts || ' times' WHERE {Scope} AND status = 'running' AND heartbeat < {DbNow} - @c AND attempts >= @a",
            [("@c", timeout), ("@a", Spec.MaxAttempts)], tx);
        Exec($"UPDATE {TrialsTable} SET status = 'queued', worker = NULL WHERE {Scope} AND status = 'running' AND heartbeat < {DbNow} - @c", [("@c", timeout)], tx);
    }

    /// <summary>When every trial of the last phase is done or failed, queues the ones the schedule keeps (once).</summary>
    private void Promote(DbTransaction tx)
    {
        int phase = (int)ScalarLong($"SELECT COALESCE(MAX(phase), 0) FROM {TrialsTable} WHERE {Scope}", tx);
        if (phase + 1 >= Spec.Phases.Count) return;
        if (ScalarLong($"SELECT COUNT(*) FROM {TrialsTable} WHERE {Scope} AND phase = {phase} AND status IN ('queued', 'running')", tx) > 0) return;
        foreach (var t in Spec.Promoted(phase, Query($"SELECT * FROM {TrialsTable} WHERE {Scope} AND phase = {phase}", [], tx)))
            Exec($"INSERT INTO {TrialsTable} ({ScopeColumns}config_id, params, phase, iters, status) VALUES ({ScopeValues}@c, @p, @ph, @i, 'queued') ON CONFLICT DO NOTHING",
                [("@c", t.ConfigId), ("@p", t.Params.ToJson()), ("@ph", phase + 1), ("@i", Spec.Phases[phase + 1].MaxIters)], tx);
    }

    protected DbCommand Command(string sql, (string, object?)[] args, DbTransaction? tx)
    {
        var cmd = Db.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        AddScopeParameters(cmd);
        foreach (var (n, v) in args)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = n;
            p.Value = v ?? DBNull.Value;
            cmd.Parameters.Add(p);
        }
        return cmd;
    }

    protected int Exec(string sql, (string, object?)[]? args = null, DbTransaction? tx = null)
    {
        using var cmd = Command(sql, args ?? [], tx);
        return cmd.ExecuteNonQuery();
    }

    protected long ScalarLong(string sql, DbTransaction? tx)
    {
        using var cmd = Command(sql, [], tx);
        return Convert.ToInt64(cmd.ExecuteScalar());
    }

    protected List<Trial> Query(string sql, (string, object?)[] args, DbTransaction? tx)
    {
        using var cmd = Command(sql, args, tx);
        using var r = cmd.ExecuteReader();
        var list = new List<Trial>();
        double? D(string c) => r.IsDBNull(r.GetOrdinal(c)) ? null : r.GetDouble(r.GetOrdinal(c));
        int lease = -1;   // a study file made before leases has no column (read-only watchers do not add it)
        for (int i = 0; i < r.FieldCount; i++) if (r.GetName(i) == "lease") lease = i;
        while (r.Read())
            list.Add(new Trial
            {
                Id = r.GetInt64(r.GetOrdinal("id")), ConfigId = r.GetInt32(r.GetOrdinal("config_id")),
                Params = TrialParams.FromJson(r.GetString(r.GetOrdinal("params"))), Phase = r.GetInt32(r.GetOrdinal("phase")),
                Iters = r.GetInt32(r.GetOrdinal("iters")), Status = r.GetString(r.GetOrdinal("status")),
                Worker = r.IsDBNull(r.GetOrdinal("worker")) ? null : r.GetString(r.GetOrdinal("worker")),
                Attempts = r.GetInt32(r.GetOrdinal("attempts")), Lease = lease < 0 ? 0 : r.GetInt64(lease), Metric = D("metric"), ValNll = D("val_nll"), WallS = D("wall_s"),
                TokensPerS = D("tokens_per_s"), Error = r.IsDBNull(r.GetOrdinal("error")) ? null : r.GetString(r.GetOrdinal("error")),
            });
        return list;
    }

    public abstract void Dispose();
}
