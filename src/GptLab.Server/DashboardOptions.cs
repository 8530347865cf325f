namespace GptLab.Server;

/// <summary>How `gptlab serve` listens and what it reads.</summary>
public sealed record DashboardOptions
{
    /// <summary>The folder holding run folders and sweep folders (read-only).</summary>
    public string Root { get; init; } = "runs";

    /// <summary>127.0.0.1 unless told otherwise; any other host requires a token.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>0 = any free port (the chosen one is in <see cref="Dashboard.Url"/>).</summary>
    public int Port { get; init; } = 8080;

    /// <summary>The access token for a non-local host; null = a generated one.</summary>
    public string? Token { get; init; }

    /// <summary>Intra-op threads for the model in "try the model" (predict, sample).</summary>
    public int Threads { get; init; } = 1;

    /// <summary>Also show this PostgreSQL study (<c>--storage URL --study NAME</c>).</summary>
    public string? Storage { get; init; }
    public string? Study { get; init; }

    /// <summary>How often a live view looks for appended metric lines.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(250);
}
