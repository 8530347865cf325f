using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace GptLab.Tests;

/// <summary>
/// A throwaway PostgreSQL server for the tests (Debian's `postgresql` package): `initdb` into a temporary folder (as the
/// `postgres` user when the tests run as root), `pg_ctl start` on 127.0.0.1 and a free port, a database per test,
/// and `pg_ctl stop -m immediate` on dispose and on process exit. No system service is used.
/// </summary>
public sealed class PostgresServer : IDisposable
{
    private readonly string bin;
    private readonly string root;
    private readonly bool asPostgres;
    private int stopped;

    public PostgresServer()
    {
        bin = Directory.Exists("/usr/lib/postgresql") ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
                  .Where(d => File.Exists(Path.Combine(d, "initdb"))).OrderDescending().FirstOrDefault() ?? ""
            : "";
        if (bin.Length == 0) bin = Path.GetDirectoryName(ToolPaths.OnPath("initdb") ?? throw new InvalidOperationException(
            "these tests need PostgreSQL's initdb and pg_ctl: ./test.sh installs them (apt-get install postgresql)"))!;
        asPostgres = Environment.UserName == "root";
        root = Directory.CreateTempSubdirectory("gptlab-pg-").FullName;
        if (asPostgres) Run("chown", "postgres", root);
        Port = FreePort();
        Pg("initdb", "-D", Data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync", "-N");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Stop();
        Start();
    }

    public int Port { get; }
    private string Data => Path.Combine(root, "data");

    public void Start() =>
        Pg("pg_ctl", "-D", Data, "-l", Path.Combine(root, "log"), "-w", "-o",
            $"-k {root} -p {Port} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", "start");

    /// <summary>Stops the server now (a dropped connection for the workers), for <see cref="Start"/> again.</summary>
    public void Kill() => Pg("pg_ctl", "-D", Data, "-m", "immediate", "-w", "stop");

    /// <summary>A fresh database; its URL.</summary>
    public string NewDatabase()
    {
        string name = $"t{Guid.NewGuid():N}"[..20];
        using var c = new NpgsqlConnection($"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Pooling=false");
        c.Open();
        using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", c);
        cmd.ExecuteNonQuery();
        return $"postgresql://postgres@127.0.0.1:{Port}/{name}";
    }

    private void Stop()
    {
        if (Interlocked.Exchange(ref stopped, 1) == 1) return;
        try { Pg("pg_ctl", "-D", Data, "-m", "immediate", "-w", "stop"); } catch (InvalidOperationException) { }
        try { Directory.Delete(root, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    public void Dispose() => Stop();

    private void Pg(string tool, params string[] args)
    {
        string exe = Path.Combine(bin, tool);
        int rc = asPostgres ? Run("runuser", ["-u", "postgres", "--", exe, .. args]) : Run(exe, args);
        if (rc != 0) throw new InvalidOperationException($"{tool} failed ({rc}): {string.Join(' ', args)}; log: {TryLog()}");
    }

    private string TryLog()
    {
        try { return File.ReadAllText(Path.Combine(root, "log")); } catch (IOException) { return ""; }
    }

    private static int Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.StandardOutput.ReadToEndAsync();
        p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(1))) { p.Kill(true); return -1; }
        return p.ExitCode;
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
