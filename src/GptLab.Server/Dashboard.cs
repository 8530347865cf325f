using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GptLab.Server;

/// <summary>
/// `gptlab serve`: one ASP.NET Core process that shows the run folders and sweeps under a root, live. It only
/// reads what the CLI writes (metrics.jsonl tailed by offset, studies opened read-only), so it never slows or
/// locks out a trainer; the page is static files embedded in this assembly.
/// </summary>
public sealed class Dashboard : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ModelHost models;

    private Dashboard(WebApplication app, ModelHost models, string url, string? token)
    {
        this.app = app;
        this.models = models;
        Url = url;
        Token = token;
    }

    /// <summary>Where it listens, e.g. http://127.0.0.1:8080/ (with the real port when asked for port 0).</summary>
    public string Url { get; }

    /// <summary>The access token (non-local hosts), or null.</summary>
    public string? Token { get; }

    /// <summary>The URL to open in a browser (with the token when one is needed).</summary>
    public string OpenUrl => Token is null ? Url : $"{Url}?token={Token}";

    public static async Task<Dashboard> StartAsync(DashboardOptions options, CancellationToken ct = default)
    {
        if (!Directory.Exists(options.Root)) throw new GptLabException($"{options.Root}: no such folder — pass --root DIR (where runs are)");
        if (options.Port is < 0 or > 65535) throw new GptLabException($"--port must be between 0 and 65535; got {options.Port}");
        if (options.Storage is not null && options.Study is null) throw new GptLabException("--storage needs --study NAME");
        string? token = options.Token ?? (TokenGate.IsLoopback(options.Host) ? null : TokenGate.Generate());

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "GptLab.Server", ContentRootPath = Path.GetFullPath(options.Root) });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Error);
        var listenOn = options.Host == "localhost" ? System.Net.IPAddress.Loopback
            : System.Net.IPAddress.TryParse(options.Host, out var ip) ? ip
            : throw new GptLabException($"--host must be an IP address (127.0.0.1; 0.0.0.0 for every interface) or localhost; got '{options.Host}'");
        builder.WebHost.ConfigureKestrel(k => k.Listen(listenOn, options.Port));
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        builder.Services.AddSingleton<IHostLifetime, HostedByCaller>();   // signals belong to the caller
        var app = builder.Build();

        var models = new ModelHost(options.Threads);
        var catalog = new RunCatalog(options.Root);
        app.Use(Errors);
        var gate = new TokenGate(token);
        app.Use(gate.Invoke);
        app.MapGet("/", () => StaticAssets.Serve("index.html"));
        app.MapGet("/static/{**path}", (string path) => StaticAssets.Serve(path));
        RunEndpoints.Map(app, catalog, options);
        SweepEndpoints.Map(app, catalog, options);
        ModelEndpoints.Map(app, catalog, models);
        app.MapFallback(IResult (HttpContext http, EndpointDataSource endpoints) => throw Unmatched(http, endpoints));

        try
        {
            await app.StartAsync(ct);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or FormatException or UriFormatException or System.Net.Sockets.SocketException)
        {
            await app.DisposeAsync();
            models.Dispose();
            throw new GptLabException($"cannot listen on {options.Host}:{options.Port} ({e.Message.Split('\n')[0].TrimEnd('.')}) — pass another --port (0 = any free port)");
        }
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new Dashboard(app, models, address.TrimEnd('/') + "/", token);
    }

    /// <summary>Why no endpoint took a request: a path that exists under another method (405, with Allow), a POST
    /// whose body is not JSON (415), or nothing there (404).</summary>
    private static HttpProblem Unmatched(HttpContext http, EndpointDataSource endpoints)
    {
        string path = http.Request.Path.Value ?? "";
        var same = endpoints.Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.Parameters.Count == 0 && "/" + (e.RoutePattern.RawText ?? "").TrimStart('/') == path).ToList();
        var methods = same.SelectMany(e => e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? []).Distinct().ToList();
        if (methods.Count == 0) return HttpProblem.NotFound($"nothing at {path}");
        if (!methods.Contains(http.Request.Method, StringComparer.OrdinalIgnoreCase))
            return new HttpProblem(405, $"{http.Request.Method} is not allowed at {path}: use {string.Join(" or ", methods)}", string.Join(", ", methods));
        return new HttpProblem(415, $"{path} takes a JSON body: send Content-Type: application/json");
    }

    /// <summary>Ends when the client leaves or the server stops (live streams use it).</summary>
    internal static CancellationToken Stopping(HttpContext http)
    {
        var lifetime = http.RequestServices.GetRequiredService<IHostApplicationLifetime>();
        var cts = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, lifetime.ApplicationStopping);
        http.Response.RegisterForDispose(cts);
        return cts.Token;
    }

    /// <summary>Bad requests get a status and a short plain-text message, never a stack trace.</summary>
    private static async Task Errors(HttpContext http, RequestDelegate next)
    {
        try
        {
            await next(http);
        }
        catch (Exception e) when (!http.Response.HasStarted && e is not OperationCanceledException)
        {
            (int status, string message) = e switch
            {
                HttpProblem p => (p.Status, p.Message),
                GptLabException g => (400, g.Message),
                BadHttpRequestException b => (b.StatusCode, "bad request: " + b.Message.Split('\n')[0]),
                _ => (500, "internal error: " + e.GetType().Name),
            };
            if (status == 500) Console.Error.WriteLine($"error: {http.Request.Path}: {e.GetType().Name}: {e.Message.Split('\n')[0]}");
            http.Response.Clear();
            http.Response.StatusCode = status;
            if (e is HttpProblem { Allow: string allow }) http.Response.Headers.Allow = allow;
            http.Response.ContentType = "text/plain; charset=utf-8";
            await http.Response.WriteAsync(message);
        }
    }

    /// <summary>Runs until <paramref name="ct"/> is cancelled (Ctrl+C).</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        try { await Task.Delay(Timeout.Infinite, ct); }
        catch (OperationCanceledException) { }
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
        models.Dispose();
    }
}
