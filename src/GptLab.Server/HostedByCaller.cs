using Microsoft.Extensions.Hosting;

namespace GptLab.Server;

/// <summary>The dashboard's host lifetime: none of its own. ASP.NET Core's default (ConsoleLifetime) takes SIGINT and
/// SIGTERM for the whole process; the caller owns those (`gptlab serve` stops on Ctrl+C through its own handler, a
/// test or a library user through <see cref="Dashboard.DisposeAsync"/>).</summary>
internal sealed class HostedByCaller : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
