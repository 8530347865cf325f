using Npgsql;

namespace GptLab.Sweeps;

/// <summary>
/// <c>postgresql://user[:password]@host[:port]/database</c> (or <c>postgres://</c>, or an Npgsql connection string) as
/// a connection string, and as text safe to print. Without a password in the URL, Npgsql takes it from
/// <c>PGPASSWORD</c> or the password file (<c>~/.pgpass</c>, <c>PGPASSFILE</c>), so none needs to be on a command line.
/// The user part is split off by hand (up to the last '@'), not by <see cref="Uri"/>, which rejects or re-escapes
/// passwords holding characters such as <c>{ } ^ | @ /</c> — and a password it failed to see would be printed.
/// </summary>
public static class StudyUrl
{
    public static bool IsPostgres(string? storage) =>
        storage is not null && (storage.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase) ||
                                storage.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) ||
                                storage.Contains("Host=", StringComparison.OrdinalIgnoreCase));

    public static string ToConnectionString(string url)
    {
        if (Split(url) is not { } parts) return url;   // already a connection string
        var (scheme, user, password, rest) = parts;
        if (!Uri.TryCreate($"{scheme}://{rest}", UriKind.Absolute, out var u) || u.Host.Length == 0)
            throw new GptLabException($"--storage {Mask(url)}: expected postgresql://user@host:port/database");
        var b = new NpgsqlConnectionStringBuilder
        {
            Host = u.Host, Port = u.Port > 0 ? u.Port : 5432, Database = Uri.UnescapeDataString(u.AbsolutePath.Trim('/')),
            Timeout = 15, Pooling = false,
        };
        if (b.Database is null or "") throw new GptLabException($"--storage {Mask(url)}: the URL names no database");
        if (user.Length > 0) b.Username = Uri.UnescapeDataString(user);
        if (password is not null) b.Password = Uri.UnescapeDataString(password);
        return b.ConnectionString;
    }

    /// <summary>The storage with any password replaced by ***.</summary>
    public static string Mask(string storage)
    {
        if (Split(storage) is { } parts)
            return parts.Password is null ? storage : $"{parts.Scheme}://{parts.User}:***@{parts.Tail}";
        if (storage.Contains("Password=", StringComparison.OrdinalIgnoreCase))
        {
            try { return new NpgsqlConnectionStringBuilder(storage) { Password = "***" }.ConnectionString; }
            catch (ArgumentException) { return "(a connection string that could not be read)"; }
        }
        return storage;
    }

    /// <summary><paramref name="text"/> (an error message, say) with the storage's password, as written or
    /// unescaped, replaced by ***.</summary>
    public static string Scrub(string text, string storage)
    {
        string? password = Split(storage)?.Password;
        if (password is null && storage.Contains("Password=", StringComparison.OrdinalIgnoreCase))
        {
            try { password = new NpgsqlConnectionStringBuilder(storage).Password; }
            catch (ArgumentException) { }
        }
        if (string.IsNullOrEmpty(password)) return text;
        text = text.Replace(storage, Mask(storage), StringComparison.Ordinal);
        text = text.Replace(password, "***", StringComparison.Ordinal);
        string plain = Uri.UnescapeDataString(password);
        return plain.Length > 0 ? text.Replace(plain, "***", StringComparison.Ordinal) : text;
    }

    /// <summary>scheme, user, password (null when none) and what follows the '@' of a URL; null for anything else.</summary>
    private static (string Scheme, string User, string? Password, string Tail)? Split(string url)
    {
        int sep = url.IndexOf("://", StringComparison.Ordinal);
        if (sep <= 0) return null;
        string scheme = url[..sep], tail = url[(sep + 3)..];
        int at = tail.LastIndexOf('@');
        if (at < 0) return (scheme, "", null, tail);
        string info = tail[..at];
        int colon = info.IndexOf(':');
        return colon < 0 ? (scheme, info, null, tail[(at + 1)..]) : (scheme, info[..colon], info[(colon + 1)..], tail[(at + 1)..]);
    }
}
