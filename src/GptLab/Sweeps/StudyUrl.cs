using Npgsql;

namespace GptLab.Sweeps;

/// <summary>
/// <c>postgresql://user[:password]@host[:port]/database</c> (or <c>postgres://</c>, or an Npgsql connection string) as
/// a connection string, and as text safe to print. Without a password in the URL, Npgsql takes it from
/// <c>PGPASSWORD</c> or the password file (<c>~/.pgpass</c>, <c>PGPASSFILE</c>), so none needs to be on a command line.
/// </summary>
public static class StudyUrl
{
    public static bool IsPostgres(string? storage) =>
        storage is not null && (storage.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase) ||
                                storage.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) ||
                                storage.Contains("Host=", StringComparison.OrdinalIgnoreCase));

    public static string ToConnectionString(string url)
    {
        if (!url.Contains("://", StringComparison.Ordinal)) return url;   // already a connection string
        if (!Uri.TryCreate(url, UriKind.Absolute, out var u) || u.Host.Length == 0)
            throw new GptLabException($"--storage {Mask(url)}: expected postgresql://user@host:port/database");
        var b = new NpgsqlConnectionStringBuilder
        {
            Host = u.Host, Port = u.Port > 0 ? u.Port : 5432, Database = Uri.UnescapeDataString(u.AbsolutePath.Trim('/')),
            Timeout = 15, Pooling = false,
        };
        if (b.Database is null or "") throw new GptLabException($"--storage {Mask(url)}: the URL names no database");
        var user = u.UserInfo.Split(':', 2);
        if (user[0].Length > 0) b.Username = Uri.UnescapeDataString(user[0]);
        if (user.Length == 2) b.Password = Uri.UnescapeDataString(user[1]);
        return b.ConnectionString;
    }

    /// <summary>The storage with any password replaced by ***.</summary>
    public static string Mask(string storage)
    {
        if (storage.Contains("://", StringComparison.Ordinal) && Uri.TryCreate(storage, UriKind.Absolute, out var u) && u.UserInfo.Contains(':'))
            return storage.Replace(u.UserInfo, u.UserInfo.Split(':')[0] + ":***", StringComparison.Ordinal);
        if (storage.Contains("Password=", StringComparison.OrdinalIgnoreCase))
        {
            var b = new NpgsqlConnectionStringBuilder(storage) { Password = "***" };
            return b.ConnectionString;
        }
        return storage;
    }
}
