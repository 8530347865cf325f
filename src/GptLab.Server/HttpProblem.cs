namespace GptLab.Server;

/// <summary>A bad request answered with <see cref="Status"/> and a short plain-text message (never a stack trace).</summary>
internal sealed class HttpProblem(int status, string message, string? allow = null) : Exception(message)
{
    public int Status { get; } = status;

    /// <summary>For a 405: the methods the resource takes (the Allow header).</summary>
    public string? Allow { get; } = allow;

    public static HttpProblem NotFound(string message) => new(404, message);

    public static HttpProblem BadRequest(string message) => new(400, message);
}
