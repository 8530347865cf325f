using System.Runtime.InteropServices;

namespace GptLab.Cli;

/// <summary>Ctrl+C (SIGINT) and SIGTERM as a <see cref="CancellationToken"/>: the library stops cleanly (a training
/// run saves its checkpoint) instead of the process dying.</summary>
internal sealed class SignalCancellation : IDisposable
{
    private readonly CancellationTokenSource cts = new();
    private readonly PosixSignalRegistration sigint, sigterm;

    public SignalCancellation(Action? onSignal = null)
    {
        void Handle(PosixSignalContext c)
        {
            c.Cancel = true;
            cts.Cancel();
            onSignal?.Invoke();
        }
        sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle);
        sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle);
    }

    public CancellationToken Token => cts.Token;

    public void Dispose()
    {
        sigint.Dispose();
        sigterm.Dispose();
        cts.Dispose();
    }
}
