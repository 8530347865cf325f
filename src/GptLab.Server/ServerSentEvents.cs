using System.Text.Json;
using GptLab.IO;
using Microsoft.AspNetCore.Http;

namespace GptLab.Server;

/// <summary>Writes a text/event-stream response: named events with one-line JSON data.</summary>
internal sealed class ServerSentEvents
{
    private readonly HttpResponse response;

    private ServerSentEvents(HttpResponse response) => this.response = response;

    public static ServerSentEvents Start(HttpContext http)
    {
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        return new ServerSentEvents(http.Response);
    }

    public async Task Send(string name, object data, CancellationToken ct)
    {
        await response.WriteAsync($"event: {name}\ndata: {JsonSerializer.Serialize(data, WebJson.Options)}\n\n", ct);
        await response.Body.FlushAsync(ct);
    }

    /// <summary>A comment line: keeps proxies from closing an idle stream and finds a closed client.</summary>
    public async Task KeepAlive(CancellationToken ct)
    {
        await response.WriteAsync(": keep-alive\n\n", ct);
        await response.Body.FlushAsync(ct);
    }
}
