namespace GptLab;

/// <summary>
/// An error a user can act on: the message is one line that says what is wrong and what to do.
/// The CLI prints it (no stack trace) and exits with <see cref="ExitCode"/>.
/// </summary>
public class GptLabException(string message, int exitCode = 2) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
