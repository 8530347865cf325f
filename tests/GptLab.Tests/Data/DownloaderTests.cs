using System.Net;
using System.Security.Cryptography;
using GptLab.Data;

namespace GptLab.Tests.Data;

/// <summary>Downloads against an HTTP listener on loopback: nothing here touches the internet.</summary>
public sealed class DownloaderTests : IDisposable
{
    private readonly HttpListener listener = new();
    private readonly byte[] payload = System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("To be, or not to be.\n", 5000)));
    private readonly string prefix;
    private int requests;
    private bool dropFirst;
    private readonly List<string?> ranges = [];

    public DownloaderTests()
    {
        // a random port below Linux's ephemeral range (32768–60999, where the suite's own connections live); another
        // port if it is taken after all
        for (int attempt = 0; ; attempt++)
        {
            prefix = $"http://127.0.0.1:{Random.Shared.Next(20000, 32000)}/";
            listener.Prefixes.Add(prefix);
            try
            {
                listener.Start();
                break;
            }
            catch (HttpListenerException) when (attempt < 20)
            {
                listener.Close();
                listener = new HttpListener();
            }
        }
        _ = Task.Run(Serve);
    }

    private async Task Serve()
    {
        while (listener.IsListening)
        {
            HttpListenerContext ctx;
            try { ctx = await listener.GetContextAsync(); } catch { return; }
            int n = Interlocked.Increment(ref requests);
            string? range = ctx.Request.Headers["Range"];
            lock (ranges) ranges.Add(range);
            long from = range is null ? 0 : long.Parse(range["bytes=".Length..].TrimEnd('-'));
            ctx.Response.StatusCode = from > 0 ? 206 : 200;
            ctx.Response.ContentLength64 = payload.Length - from;
            try
            {
                if (dropFirst && n == 1)
                {
                    await ctx.Response.OutputStream.WriteAsync(payload.AsMemory(0, payload.Length / 3));
                    await ctx.Response.OutputStream.FlushAsync();
                    ctx.Response.Abort();   // the connection breaks a third of the way in
                    continue;
                }
                await ctx.Response.OutputStream.WriteAsync(payload.AsMemory((int)from));
                ctx.Response.Close();
            }
            catch (Exception e) when (e is HttpListenerException or IOException) { }
        }
    }

    [Fact]
    public async Task A_broken_download_resumes_where_it_stopped()
    {
        dropFirst = true;
        using var dir = new TempDir();
        var d = new Downloader(dir.Path);
        string sha = Convert.ToHexStringLower(SHA256.HashData(payload));
        string path = await d.GetAsync(new Uri(prefix + "corpus.txt"), payload.Length, sha);
        Assert.Equal(payload, File.ReadAllBytes(path));
        Assert.Contains(ranges, r => r != null && r.StartsWith("bytes="));
    }

    [Fact]
    public async Task A_cached_file_is_not_downloaded_again()
    {
        using var dir = new TempDir();
        var d = new Downloader(dir.Path);
        string a = await d.GetAsync(new Uri(prefix + "c.txt"));
        int before = requests;
        string b = await d.GetAsync(new Uri(prefix + "c.txt"));
        Assert.Equal(a, b);
        Assert.Equal(before, requests);
    }

    [Fact]
    public async Task A_wrong_sha256_is_rejected_and_not_cached()
    {
        using var dir = new TempDir();
        var d = new Downloader(dir.Path);
        var e = await Assert.ThrowsAsync<GptLabException>(() => d.GetAsync(new Uri(prefix + "x.txt"), null, new string('0', 64)));
        Assert.Contains("sha256", e.Message);
        Assert.False(File.Exists(d.CachePath(new Uri(prefix + "x.txt"))));
    }

    [Fact]
    public async Task A_file_url_is_copied_into_the_cache()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir["src.txt"], payload);
        string path = await new Downloader(dir["cache"]).GetAsync(new Uri(dir["src.txt"]));
        Assert.Equal(payload, File.ReadAllBytes(path));
    }

    public void Dispose() => listener.Close();
}
