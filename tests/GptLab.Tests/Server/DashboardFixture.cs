using System.Diagnostics;
using System.Text.Json;
using GptLab.IO;
using GptLab.Runs;
using Microsoft.Playwright;

namespace GptLab.Tests.Server;

/// <summary>
/// A folder of real runs and a real sweep (tiny models trained by the gptlab program), `gptlab serve` started on it
/// on a free port, and Debian's Chromium driven by Playwright. Shared by the browser tests; everything stops on dispose.
/// Runs: "finished" and "mse" (trained, with checkpoints), "live" (status owned by this test process, so it shows as
/// running; tests append metric lines to it), "dead" (its owner is gone: stopped); sweep "sw" (4 configurations, finished)
/// and "sw-live" (its copy with two trials still running); "long" (6,000 metric lines, one spike).
/// </summary>
public sealed class DashboardFixture : IAsyncLifetime
{
    public TempDir Dir { get; } = new();
    public string Url { get; private set; } = "";
    public IBrowser Browser { get; private set; } = null!;
    public string Screenshots { get; } = Path.Combine(AppContext.BaseDirectory, "screenshots");
    private Process? server;
    private IPlaywright? playwright;

    public string Root => Dir["runs"];

    public async Task InitializeAsync()
    {
        string data = Tiny.CharDataset(Dir, 20000);
        var config = Tiny.Config(data, 30) with { EvalInterval = 10, SampleTokens = 40 };
        File.WriteAllText(Dir["tiny.json"], JsonSerializer.Serialize(config, Json.Options));
        Train("finished", "--config", "tiny.json");
        Train("mse", "--config", "tiny.json", "--set", "loss=mse");
        File.WriteAllText(Dir["spec.json"], $$"""
            { "data": "{{data}}", "method": "grid", "metric": "val_nll",
              "fixed": { "n_embd": 16, "n_head": 2, "block_size": 16, "batch_size": 4, "eval_iters": 2, "eval_interval": 4,
                         "warmup_iters": 1, "sample_tokens": 0, "peak_flops": 1e11 },
              "parameters": { "learning_rate": [1e-3, 1e-2], "n_layer": [1, 2] }, "max_iters": 8 }
            """);
        Check(GptLabProcess.Run(Dir.Path, "sweep", "spec.json", "--out", "runs/sw", "--workers", "1"), "sweep");
        // "sw-live": the same study caught mid-way, two of its trials still running (their intermediate values stored)
        CopyFolder(Dir["runs/sw"], Dir["runs/sw-live"]);
        using (var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Dir["runs/sw-live/study.db"]};Pooling=False"))
        {
            db.Open();
            using var cmd = db.CreateCommand();
            cmd.CommandText = "UPDATE trials SET status = 'running', metric = NULL, val_nll = NULL, finished = NULL WHERE config_id IN (SELECT config_id FROM trials ORDER BY config_id LIMIT 2)";
            Assert.Equal(2, cmd.ExecuteNonQuery());
        }

        // runs in progress, owned by this (live) process ("growing" gets an evaluation and a checkpoint later), and one
        // whose owner died
        var self = Process.GetCurrentProcess().StartTime.ToUniversalTime();
        foreach (var (name, pid, started, steps) in new[] { ("live", Environment.ProcessId, self, 3), ("growing", Environment.ProcessId, self, 2), ("dead", DeadPid(), DateTime.UtcNow, 3) })
        {
            var run = new RunDirectory(Dir[$"runs/{name}"]);
            run.Create();
            File.Copy(Dir["runs/finished/config.json"], run.ConfigPath);
            run.WriteStatus(new RunStatus { State = "running", Pid = pid, Host = Environment.MachineName, Started = started, Updated = DateTime.UtcNow, Step = steps });
            for (int step = 1; step <= steps; step++) AppendTrain(name, step);
        }

        // "long": 6,000 training lines with one spike (loss 50 at step 3,001)
        {
            var run = new RunDirectory(Dir["runs/long"]);
            run.Create();
            File.Copy(Dir["runs/finished/config.json"], run.ConfigPath);
            run.WriteStatus(new RunStatus { State = "finished", Pid = 1, Host = Environment.MachineName, Started = DateTime.UtcNow, Updated = DateTime.UtcNow, Step = 6000 });
            var lines = new System.Text.StringBuilder();
            for (int step = 1; step <= 6000; step++)
                lines.Append(System.Text.Json.JsonSerializer.Serialize(new MetricRecord
                {
                    Kind = "train", Step = step, Tokens = step * 64L, Loss = step == 3001 ? 50 : 4.0 - step / 3000.0 + 0.01 * (step % 7), Lr = 1e-3, GradNorm = 1, WallS = step * 0.01, Time = DateTime.UtcNow,
                }, Json.Line)).Append('\n');
            File.WriteAllText(run.MetricsPath, lines.ToString());
        }

        server = GptLabProcess.Start(Dir.Path, "serve", "--root", "runs", "--port", "0");
        string? line = await server.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(1));
        _ = server.StandardError.ReadToEndAsync();
        Assert.True(line?.Contains("http://127.0.0.1:") == true, $"gptlab serve printed: {line}");
        Url = line!.Split(' ').First(w => w.StartsWith("http://", StringComparison.Ordinal));
        _ = server.StandardOutput.ReadToEndAsync();

        string chromium = ToolPaths.OnPath("chromium") ?? ToolPaths.OnPath("chromium-browser")
            ?? throw new InvalidOperationException("these tests need Chromium on PATH: ./test.sh installs it (apt-get install chromium)");
        playwright = await Playwright.CreateAsync();
        Browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = chromium, Headless = true, Args = ["--no-sandbox"] });
        Directory.CreateDirectory(Screenshots);
    }

    /// <summary>Appends a training line to a run's metrics.jsonl, as a trainer does.</summary>
    public void AppendTrain(string run, int step) => new RunDirectory(Dir[$"runs/{run}"]).AppendMetric(new MetricRecord
    {
        Kind = "train", Step = step, Tokens = step * 64L, Loss = 4.0 / step, Lr = 1e-3, GradNorm = 1.0, MsPerStep = 10, TokensPerS = 6400, Mfu = 0.01,
        WallS = step * 0.01, Time = DateTime.UtcNow,
    });

    /// <summary>A new page that records console errors and uncaught exceptions.</summary>
    public async Task<(IPage Page, List<string> Errors)> OpenAsync(string hash)
    {
        var page = await Browser.NewPageAsync(new() { ViewportSize = new() { Width = 1400, Height = 1000 } });
        var errors = new List<string>();
        page.Console += (_, m) => { if (m.Type == "error") errors.Add(m.Text); };
        page.PageError += (_, e) => errors.Add(e);
        await page.GotoAsync(Url + hash);
        return (page, errors);
    }

    public Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, name + ".png"), FullPage = true });

    private void Train(string name, params string[] args)
    {
        var r = GptLabProcess.Run(Dir.Path, ["train", .. args, "--out", $"runs/{name}", "--samples", "0", "--threads", "1"]);
        Check(r, $"train {name}");
    }

    private static void Check((int Exit, string Out, string Err) r, string what) => Assert.True(r.Exit == 0, $"{what}: {r.Err}{r.Out}");

    public static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
        foreach (var d in Directory.GetDirectories(from)) CopyFolder(d, Path.Combine(to, Path.GetFileName(d)));
    }

    private static int DeadPid()
    {
        using var p = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        p.WaitForExit();
        return p.Id;
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.CloseAsync();
        playwright?.Dispose();
        if (server is { HasExited: false }) { server.Kill(true); await server.WaitForExitAsync(); }
        server?.Dispose();
        Dir.Dispose();
    }
}
