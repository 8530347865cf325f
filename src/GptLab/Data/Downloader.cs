using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace GptLab.Data;

/// <summary>Progress of a download: bytes so far and the total when the server says it.</summary>
internal readonly record struct DownloadProgress(long Bytes, long? Total);

/// <summary>
/// Downloads a URL into a cache folder: resumes a broken download from its <c>.part</c> file (HTTP Range),
/// checks the size and sha256 when they are known, and returns the cached file on later calls.
/// </summary>
internal sealed class Downloader(string cacheDir, HttpClient? client = null)
{
    private readonly HttpClient http = client ?? new HttpClient { Timeout = Timeout.InfiniteTimeSpan };

    public static string DefaultCacheDir =>
        Environment.GetEnvironmentVariable("GPTLAB_CACHE") is { Length: > 0 } c
            ? c
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "gptlab");

    /// <summary>The cache path for <paramref name="url"/>: its file name plus a short hash of the whole URL.</summary>
    public string CachePath(Uri url)
    {
        string name = Path.GetFileName(Uri.UnescapeDataString(url.AbsolutePath));
        if (string.IsNullOrEmpty(name)) name = "download";
        string hash = Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(url.AbsoluteUri)))[..12];
        return Path.Combine(cacheDir, $"{hash}-{name}");
    }

    public async Task<string> GetAsync(Uri url, long? expectedBytes = null, string? expectedSha256 = null,
        IProgress<DownloadProgress>? progress = null, CancellationToken cancel = default)
    {
        Directory.CreateDirectory(cacheDir);
        string target = CachePath(url);
        if (File.Exists(target)) return target;
        string part = target + ".part";

        if (url.IsFile)
        {
            if (!File.Exists(url.LocalPath)) throw new GptLabException($"{url}: no such file");
            File.Copy(url.LocalPath, part, overwrite: true);
        }
        else
        {
            await FetchAsync(url, part, progress, cancel);
        }

        long length = new FileInfo(part).Length;
        if (expectedBytes is long n && length != n)
        {
            File.Delete(part);
            throw new GptLabException($"{url}: expected {n:N0} bytes, got {length:N0} — the download was corrupted; run the command again");
        }
        if (expectedSha256 != null)
        {
            string actual = await Sha256Async(part, cancel);
            if (!actual.Equals(expectedSha256, StringComparison.OrdinalIgnoreCase))
            {
                File.Delete(part);
                throw new GptLabException($"{url}: sha256 {actual[..12]}… does not match the expected {expectedSha256[..Math.Min(12, expectedSha256.Length)]}… — the download was corrupted or the file changed upstream");
            }
        }
        File.Move(part, target, overwrite: true);
        return target;
    }

    private async Task FetchAsync(Uri url, string part, IProgress<DownloadProgress>? progress, CancellationToken cancel)
    {
        for (int attempt = 1; ; attempt++)
        {
            long have = File.Exists(part) ? new FileInfo(part).Length : 0;
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            if (have > 0) request.Headers.Range = new RangeHeaderValue(have, null);
            try
            {
                using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel);
                if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable && have > 0) return; // already whole
                if (!response.IsSuccessStatusCode)
                    throw new GptLabException($"{url}: the server answered {(int)response.StatusCode} {response.ReasonPhrase}");
                bool append = response.StatusCode == HttpStatusCode.PartialContent;
                if (!append) have = 0;
                long? total = response.Content.Headers.ContentLength is long len ? len + have : null;
                await using var body = await response.Content.ReadAsStreamAsync(cancel);
                await using var file = new FileStream(part, append ? FileMode.Append : FileMode.Create, FileAccess.Write);
                var buffer = new byte[1 << 16];
                int read;
                long done = have;
                while ((read = await body.ReadAsync(buffer, cancel)) > 0)
                {
                    await file.WriteAsync(buffer.AsMemory(0, read), cancel);
                    done += read;
                    progress?.Report(new DownloadProgress(done, total));
                }
                if (total is long t && done < t) throw new IOException($"connection closed at {done:N0} of {t:N0} bytes");
                return;
            }
            catch (Exception e) when (e is HttpRequestException or IOException && attempt < 5 && !cancel.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), cancel);   // resume from the .part file
            }
            catch (Exception e) when (e is HttpRequestException or IOException)
            {
                throw new GptLabException($"{url}: download failed after {attempt} attempts ({e.Message}); run the command again to resume");
            }
        }
    }

    public static async Task<string> Sha256Async(string path, CancellationToken cancel = default)
    {
        await using var s = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(s, cancel));
    }
}

/// <summary>Corpora GptLab knows by name.</summary>
internal sealed record NamedSource(string Name, string? Url, SourceFormat Format, DocumentMode Mode, string? Field, string Note)
{
    public static readonly NamedSource[] All =
    [
        new("shakespeare", null, SourceFormat.Text, DocumentMode.Whole, null, "Tiny Shakespeare, bundled (1.1 MB, public domain)"),
        new("tinystories", "https://huggingface.co/datasets/roneneldan/TinyStories/resolve/main/TinyStoriesV2-GPT4-train.txt",
            SourceFormat.Text, DocumentMode.Separator, null, "TinyStories V2 train split (2.2 GB, CDLA-Sharing-1.0)"),
        new("tinystories-valid", "https://huggingface.co/datasets/roneneldan/TinyStories/resolve/main/TinyStoriesV2-GPT4-valid.txt",
            SourceFormat.Text, DocumentMode.Separator, null, "TinyStories V2 validation split (22 MB, CDLA-Sharing-1.0)"),
        new("hackernews", "https://huggingface.co/datasets/julien040/hacker-news-posts/resolve/refs%2Fconvert%2Fparquet/default/train/0000.parquet",
            SourceFormat.Parquet, DocumentMode.PerLine, "title", "Hacker News post titles (Parquet, CC-BY-NC-SA-4.0), one document per title"),
    ];

    public static NamedSource? Find(string name) => All.FirstOrDefault(s => s.Name == name);
}
