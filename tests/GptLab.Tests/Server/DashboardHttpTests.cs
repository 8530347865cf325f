using System.Net;
using System.Net.Sockets;
using System.Text;
using GptLab.Server;

namespace GptLab.Tests.Server;

/// <summary>The dashboard's HTTP surface, in process: names never leave the root, bad requests get a short 4xx,
/// a non-local host needs the token, and the model generates for one request at a time.</summary>
public class DashboardHttpTests(TrainedRun trained) : IClassFixture<TrainedRun>
{
    private async Task<Dashboard> Start(string host = "127.0.0.1", string? token = null) =>
        await Dashboard.StartAsync(new DashboardOptions { Root = trained.Dir["runs"], Port = 0, Host = host, Token = token });

    /// <summary>Sends the request line exactly as written (HttpClient would normalise "../" away).</summary>
    private static async Task<(int Status, string Body)> Raw(string url, string pathAndQuery)
    {
        var uri = new Uri(url);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(uri.Host, uri.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET {pathAndQuery} HTTP/1.1\r\nHost: {uri.Authority}\r\nConnection: close\r\n\r\n"));
        string response = await new StreamReader(stream).ReadToEndAsync();
        int status = int.Parse(response.Split(' ')[1]);
        return (status, response[(response.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]);
    }

    [Theory]
    [InlineData("/api/run?name=../../../etc", 400)]
    [InlineData("/api/run?name=..%2F..%2F..%2Fetc", 400)]
    [InlineData("/api/run?name=%2Fetc%2Fpasswd", 400)]
    [InlineData("/api/run?name=/etc", 400)]
    [InlineData("/api/run?name=tiny%2F..%2F..", 400)]
    [InlineData("/api/run/metrics?name=%2e%2e%2f%2e%2e%2fetc", 400)]
    [InlineData("/api/run?name=no-such-run", 404)]
    [InlineData("/api/run?name=", 400)]
    [InlineData("/api/sweep?name=../../tmp", 400)]
    [InlineData("/api/sweep?name=tiny", 404)]
    [InlineData("/static/../../../etc/passwd", 404)]
    [InlineData("/static/..%2F..%2F..%2Fetc%2Fpasswd", 404)]
    [InlineData("/static/%2Fetc%2Fpasswd", 404)]
    [InlineData("/../../etc/passwd", 404)]
    [InlineData("/api/run/events?name=tiny&offset=abc", 400)]
    [InlineData("/api/sample?name=tiny&tokens=0", 400)]
    [InlineData("/api/sample?name=tiny&tokens=999999", 400)]
    [InlineData("/api/nothing", 404)]
    [InlineData("/api/run/events?name=tiny&offset=-5", 400)]
    [InlineData("/api/run/events?name=tiny&samples_offset=-1", 400)]
    [InlineData("/api/sample?name=tiny&temperature=NaN", 400)]
    [InlineData("/api/sample?name=tiny&temperature=1e-300", 400)]
    [InlineData("/api/sample?name=tiny&temperature=Infinity", 400)]
    [InlineData("/api/sample?name=tiny&temperature=-1", 400)]
    [InlineData("/api/predict?name=tiny", 405)]                  // a GET on a POST endpoint
    [InlineData("/api/sample?name=tiny&top_p=0", 400)]
    [InlineData("/api/sample?name=tiny&top_p=1.5", 400)]
    [InlineData("/api/sample?name=tiny&checkpoint=middle", 400)]
    [InlineData("/api/run/metrics?name=tiny&envelope=5", 400)]
    [InlineData("/api/run/metrics?name=tiny&envelope=lots", 400)]
    [InlineData("/api/sweep/best.json?name=tiny", 404)]
    [InlineData("/api/sweep/trials?name=../../tmp", 400)]
    public async Task A_bad_or_escaping_request_gets_a_short_4xx_and_never_a_file_outside_the_root(string path, int status)
    {
        await using var dash = await Start();
        var (code, body) = await Raw(dash.Url, path);
        Assert.Equal(status, code);
        Assert.DoesNotContain("root:", body);          // /etc/passwd
        Assert.DoesNotContain("   at ", body);         // no stack trace
        Assert.True(body.Length < 300, body);
    }

    [Fact]
    public async Task A_link_inside_the_root_that_leads_outside_is_not_followed()
    {
        using var outside = new TempDir();
        File.Copy(trained.Run.ConfigPath, outside["config.json"]);
        string link = trained.Dir["runs/escape"];
        Directory.CreateSymbolicLink(link, outside.Path);
        try
        {
            await using var dash = await Start();
            Assert.Equal(404, (await Raw(dash.Url, "/api/run?name=escape")).Status);
            Assert.Equal(200, (await Raw(dash.Url, "/api/run?name=tiny")).Status);
            var (status, runs) = await Raw(dash.Url, "/api/runs");
            Assert.Equal(200, status);
            Assert.DoesNotContain("escape", runs);                                        // not listed either
            Assert.Contains("\"path\":\"tiny\"", runs);                                  // names, not the server's paths
            Assert.DoesNotContain(trained.Dir.Path, runs);
            Assert.Contains("\"path\":\"tiny\"", (await Raw(dash.Url, "/api/run?name=tiny")).Body);   // the summary's too
        }
        finally { Directory.Delete(link); }
    }

    [Fact]
    public async Task A_non_local_host_requires_the_token_and_the_printed_url_sets_it_for_the_page()
    {
        await using var dash = await Start("0.0.0.0");
        Assert.NotNull(dash.Token);
        Assert.Contains("?token=" + dash.Token, dash.OpenUrl);
        string local = dash.Url.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal);
        var (status, body) = await Raw(local, "/api/runs");
        Assert.Equal(401, status);
        Assert.Contains("token", body);
        Assert.Equal(401, (await Raw(local, "/api/runs?token=wrong")).Status);

        var cookies = new CookieContainer();
        using var http = new HttpClient(new HttpClientHandler { CookieContainer = cookies }) { BaseAddress = new Uri(local) };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"/?token={dash.Token}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/runs")).StatusCode);   // the cookie now carries it
        foreach (var scheme in new[] { "Bearer", "bearer", "BEARER" })   // the scheme is case-insensitive
        {
            using var bearer = new HttpClient { BaseAddress = new Uri(local) };
            bearer.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", $"{scheme} {dash.Token}");
            Assert.Equal(HttpStatusCode.OK, (await bearer.GetAsync("/api/runs")).StatusCode);
        }
    }

    [Fact]
    public async Task A_post_without_json_is_415_and_a_get_on_it_405_with_allow()
    {
        await using var dash = await Start();
        using var http = new HttpClient { BaseAddress = new Uri(dash.Url) };
        var noType = await http.PostAsync("/api/predict?name=tiny", new ByteArrayContent(Encoding.UTF8.GetBytes("""{"prompt":"a"}""")));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, noType.StatusCode);
        Assert.Contains("Content-Type: application/json", await noType.Content.ReadAsStringAsync());
        var get = await http.GetAsync("/api/predict?name=tiny");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, get.StatusCode);
        Assert.Contains("POST", get.Content.Headers.Allow);
        var json = await http.PostAsync("/api/predict?name=tiny", new StringContent("""{"prompt":"First"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, json.StatusCode);
    }

    [Fact]
    public async Task A_runs_metrics_download_as_csv_and_jsonl()
    {
        await using var dash = await Start();
        using var http = new HttpClient { BaseAddress = new Uri(dash.Url) };
        var csv = await http.GetAsync("/api/run/metrics.csv?name=tiny");
        Assert.Equal(HttpStatusCode.OK, csv.StatusCode);
        Assert.Equal("text/csv", csv.Content.Headers.ContentType!.MediaType);
        Assert.Equal("tiny-metrics.csv", csv.Content.Headers.ContentDisposition!.FileName);
        var lines = (await csv.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var metrics = trained.Run.ReadMetrics();
        Assert.Equal(GptLab.Runs.MetricsCsv.Header, lines[0]);
        Assert.Equal(metrics.Count + 1, lines.Length);
        var firstEval = metrics.First(m => m.Kind == "eval");
        var row = lines.Skip(1).First(l => l.StartsWith("eval,", StringComparison.Ordinal)).Split(',');
        Assert.Equal(firstEval.ValNll!.Value, double.Parse(row[6], System.Globalization.CultureInfo.InvariantCulture));   // the val_nll column
        Assert.All(lines, l => Assert.Equal(15, l.Split(',').Length));
        var jsonl = await http.GetStringAsync("/api/run/metrics.jsonl?name=tiny");
        Assert.Equal(File.ReadAllText(trained.Run.MetricsPath), jsonl);
    }

    [Fact]
    public async Task Loopback_needs_no_token_and_lists_the_runs()
    {
        await using var dash = await Start();
        Assert.Null(dash.Token);
        Assert.StartsWith("http://127.0.0.1:", dash.Url);
        var (status, body) = await Raw(dash.Url, "/api/runs");
        Assert.Equal(200, status);
        Assert.Contains("\"name\":\"tiny\"", body);
    }

    [Fact]
    public async Task A_second_generation_while_one_runs_is_told_the_model_is_busy()
    {
        using var host = new ModelHost(1);
        var holding = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        var first = host.Use(trained.Run.LastCheckpoint, ck => { holding.SetResult(); release.Task.Wait(); return ck.Model.Config.NLayer; });
        await holding.Task.WaitAsync(TimeSpan.FromMinutes(1));
        var busy = await Assert.ThrowsAsync<HttpProblem>(() => host.Use(trained.Run.LastCheckpoint, ck => 0));
        Assert.Equal(429, busy.Status);
        Assert.Contains("busy", busy.Message);
        release.SetResult();
        Assert.Equal(trained.Config.NLayer, await first);
        Assert.Equal(trained.Config.NLayer, await host.Use(trained.Run.LastCheckpoint, ck => ck.Model.Config.NLayer));   // free again
    }

    [Fact]
    public async Task Serving_a_missing_folder_or_a_busy_port_is_a_one_line_error()
    {
        var e = await Assert.ThrowsAsync<GptLabException>(() => Dashboard.StartAsync(new DashboardOptions { Root = trained.Dir["nope"], Port = 0 }));
        Assert.Contains("no such folder", e.Message);
        await using var first = await Start();
        int port = new Uri(first.Url).Port;
        var busy = await Assert.ThrowsAsync<GptLabException>(() => Dashboard.StartAsync(new DashboardOptions { Root = trained.Dir["runs"], Port = port }));
        Assert.Contains("--port", busy.Message);
    }
}
