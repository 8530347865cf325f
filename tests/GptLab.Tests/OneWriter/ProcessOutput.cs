using System.Diagnostics;
using System.Text;

namespace GptLab.Tests.OneWriter;

/// <summary>A child process's stdout and stderr collected as they arrive, so a test can wait for a line.</summary>
public sealed class ProcessOutput
{
    private readonly StringBuilder text = new();
    private readonly Process process;

    public ProcessOutput(Process p)
    {
        process = p;
        Pump(p.StandardOutput);
        Pump(p.StandardError);
    }

    private void Pump(StreamReader r) => _ = Task.Run(async () =>
    {
        string? line;
        while ((line = await r.ReadLineAsync()) is not null)
            lock (text) text.AppendLine(line);
    });

    public string Text
    {
        get { lock (text) return text.ToString(); }
    }

    /// <summary>Waits until the output holds <paramref name="fragment"/>; false after <paramref name="timeout"/> or when the process exits without it.</summary>
    public async Task<bool> WaitFor(string fragment, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (Text.Contains(fragment, StringComparison.Ordinal)) return true;
            if (process.HasExited)
            {
                await process.WaitForExitAsync();
                return Text.Contains(fragment, StringComparison.Ordinal);
            }
            await Task.Delay(20);
        }
        return false;
    }

    public static void Signal(Process p, string signal) => Process.Start("kill", [$"-{signal}", p.Id.ToString()])!.WaitForExit();
}
