using System.Diagnostics;
using System.Text.RegularExpressions;
using GptLab.Runs;
using SkiaSharp;

namespace GptLab.Tests.Runs;

public class ReportTests(TrainedRun trained) : IClassFixture<TrainedRun>
{
    [Fact]
    public void Report_writes_charts_that_decode_and_are_not_blank()
    {
        using var dir = new TempDir();
        RunReport.Write([trained.Run], dir.Path);
        foreach (var png in new[] { "loss_vs_step.png", "loss_vs_tokens.png", "lr.png", "grad_norm.png", "tokens_per_s.png", "ms_per_step.png", "mfu.png" })
        {
            using var bmp = SKBitmap.Decode(Path.Combine(dir.Path, png));
            Assert.NotNull(bmp);
            Assert.Equal(900, bmp.Width);
            Assert.Equal(520, bmp.Height);
            var colors = new HashSet<uint>();
            for (int y = 0; y < bmp.Height; y += 7)
                for (int x = 0; x < bmp.Width; x += 7) colors.Add((uint)bmp.GetPixel(x, y));
            Assert.True(colors.Count > 5, $"{png} looks blank ({colors.Count} colours)");
        }
    }

    [Fact]
    public void The_n_gram_baselines_of_the_runs_dataset_are_drawn_dashed_once_computed()
    {
        using var dir = new TempDir();
        string data = Tiny.CharDataset(dir, 20000);
        using (var s = GptLab.Training.TrainingSession.Start(Tiny.Config(data, 10), dir["runs/r"])) s.Train([]);
        var run = new RunDirectory(dir["runs/r"]);
        Assert.All(RunReport.Charts([run], dir["before"]), c => Assert.Null(c.References));
        using (var ds = GptLab.Data.Dataset.Open(data)) GptLab.Baselines.NGramBaseline.Run(ds, 3);
        var charts = RunReport.Charts([run], dir["after"]);
        var loss = charts.Single(c => c.File == "loss_vs_step.png");
        Assert.Contains(loss.References!, r => r.StartsWith("3-gram (Kneser–Ney)", StringComparison.Ordinal));   // the strongest, always
        Assert.Null(charts.Single(c => c.File == "lr.png").References);                                             // not on other quantities
        Assert.False(File.ReadAllBytes(dir["before/loss_vs_step.png"]).SequenceEqual(File.ReadAllBytes(dir["after/loss_vs_step.png"])));
    }

    [Fact]
    public void Report_markdown_links_resolve_and_samples_are_tabled()
    {
        using var dir = new TempDir();
        string md = File.ReadAllText(RunReport.Write([trained.Run], dir.Path));
        var links = Regex.Matches(md, @"!\[[^\]]*\]\(([^)]+)\)").Select(m => m.Groups[1].Value).ToList();
        Assert.True(links.Count >= 7);
        Assert.All(links, l => Assert.True(File.Exists(Path.Combine(dir.Path, l)), l));
        Assert.Contains("Generated text at each loss level", md);
        Assert.Equal(trained.Run.ReadSamples().Count, md.Split('\n').Count(l => Regex.IsMatch(l, @"^\| \d")));
    }

    [Fact]
    public void Several_runs_are_overlaid_in_one_report()
    {
        using var dir = new TempDir();
        var copy = new RunDirectory(dir["copy"]);
        CopyDir(trained.Run.Path, copy.Path);
        RunReport.Write([trained.Run, copy], dir["rep"]);
        string md = File.ReadAllText(dir["rep/report.md"]);
        Assert.Contains("| tiny |", md);
        Assert.Contains("| copy |", md);
    }

    [Fact]
    public async Task Report_html_opens_in_headless_chromium_without_console_errors()
    {
        string? chromium = ToolPaths.OnPath("chromium") ?? ToolPaths.OnPath("chromium-browser");
        Assert.True(chromium is not null, "this test needs Chromium on PATH: ./test.sh installs it (apt-get install chromium)");
        using var dir = new TempDir();
        RunReport.Write([trained.Run], dir.Path);
        var psi = new ProcessStartInfo(chromium!)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", $"--user-data-dir={dir["profile"]}", "--enable-logging=stderr", "--v=0",
                     "--dump-dom", "file://" + dir["report.html"] })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var dom = p.StandardOutput.ReadToEndAsync();
        var log = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await p.WaitForExitAsync(cts.Token);
        string html = await dom, stderr = await log;
        Assert.Contains("Generated text at each loss level", html);
        Assert.Equal(7, Regex.Matches(html, "<img ").Count);
        Assert.DoesNotMatch("CONSOLE.*(Uncaught|Error)|Not allowed to load local resource|ERR_FILE_NOT_FOUND", stderr);
    }

    [Fact]
    public void Runs_lists_the_run_and_a_killed_owner_shows_as_stopped()
    {
        using var dir = new TempDir();
        var run = new RunDirectory(dir["runs/dead"]);
        CopyDir(trained.Run.Path, run.Path);
        var dead = Process.Start("sleep", "0.01")!;
        dead.WaitForExit();
        run.WriteStatus(new RunStatus { State = "running", Pid = dead.Id, Host = Environment.MachineName, Started = DateTime.UtcNow.AddMinutes(-1), Parameters = 1234 });
        var list = RunSummary.Scan(dir["runs"]);
        var s = Assert.Single(list);
        Assert.Equal("stopped", s.Status);
        Assert.Equal(20, s.Steps);
        Assert.Equal(1234, s.Parameters);
        Assert.True(s.BestValNll > 0);
        run.WriteStatus(new RunStatus { State = "running", Pid = Environment.ProcessId, Host = Environment.MachineName, Started = DateTime.UtcNow });
        Assert.Equal("running", RunSummary.Scan(dir["runs"]).Single().Status);
    }

    [Fact]
    public void Runs_and_report_commands_work_from_the_command_line()
    {
        var r = GptLabProcess.Run(trained.Dir.Path, "runs");
        Assert.True(r.Exit == 0, r.Err);
        Assert.Contains("tiny", r.Out);
        var show = GptLabProcess.Run(trained.Dir.Path, "runs", "show", "tiny");
        Assert.True(show.Exit == 0, show.Err);
        Assert.Contains("n_layer", show.Out);   // differs from the defaults
        var rep = GptLabProcess.Run(trained.Dir.Path, "report", "runs/tiny");
        Assert.True(rep.Exit == 0, rep.Err);
        Assert.True(File.Exists(trained.Dir["runs/tiny/report/report.html"]));
        var bad = GptLabProcess.Run(trained.Dir.Path, "report", "runs/none");
        Assert.NotEqual(0, bad.Exit);
        Assert.StartsWith("error:", bad.Err);
    }

    private static void CopyDir(string from, string to)
    {
        foreach (var d in Directory.GetDirectories(from, "*", SearchOption.AllDirectories)) Directory.CreateDirectory(d.Replace(from, to));
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from, "*", SearchOption.AllDirectories)) File.Copy(f, f.Replace(from, to));
    }
}
