using System.CommandLine;
using GptLab.Server;

namespace GptLab.Cli.Commands;

/// <summary><c>gptlab serve</c>: the live dashboard over a folder of runs and sweeps.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var root = new Option<string>("--root") { Description = "folder holding the runs and sweeps (read only)", DefaultValueFactory = _ => "runs" };
        var port = (new Option<int>("--port") { Description = "port to listen on (0 = any free port)", DefaultValueFactory = _ => 8080 }).Between(0, 65535);
        var host = new Option<string>("--host") { Description = "address to listen on; anything but loopback requires a token", DefaultValueFactory = _ => "127.0.0.1" };
        var token = new Option<string?>("--token") { Description = "the access token (default on a non-local host: a generated one, printed)" };
        var threads = (new Option<int>("--threads") { Description = "threads for the model in 'try the model'", DefaultValueFactory = _ => 1 }).AtLeast(1);
        var storage = new Option<string?>("--storage") { Description = "also show a PostgreSQL study: postgresql://… (or GPTLAB_STORAGE), with --study" };
        var study = new Option<string?>("--study") { Description = "the PostgreSQL study's name" };
        var cmd = new Command("serve", "Serve a live dashboard of runs, comparisons and sweeps in the browser.") { root, port, host, token, threads, storage, study };
        cmd.SetAction(p =>
        {
            using var signals = new SignalCancellation();
            string? url = p.GetValue(storage) ?? (p.GetValue(study) is not null ? Environment.GetEnvironmentVariable("GPTLAB_STORAGE") : null);
            var options = new DashboardOptions
            {
                Root = p.GetValue(root)!, Port = p.GetValue(port), Host = p.GetValue(host)!, Token = p.GetValue(token), Threads = p.GetValue(threads),
                Storage = url, Study = p.GetValue(study),
            };
            var dashboard = Dashboard.StartAsync(options).GetAwaiter().GetResult();
            try
            {
                Console.WriteLine($"GptLab dashboard on {dashboard.OpenUrl} — runs and sweeps under {Path.GetFullPath(options.Root)} (Ctrl+C stops)");
                dashboard.RunAsync(signals.Token).GetAwaiter().GetResult();
            }
            finally { dashboard.DisposeAsync().AsTask().GetAwaiter().GetResult(); }
            return 0;
        });
        return cmd;
    }
}
