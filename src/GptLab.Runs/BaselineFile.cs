using GptLab.IO;

namespace GptLab.Runs;

/// <summary>The n-gram baselines of a dataset (`gptlab baseline ngram`), cached beside it in <c>baselines.json</c>;
/// valid while the dataset's meta.json is the one they were computed for (a re-prepared dataset rewrites it).</summary>
public sealed record BaselineFile
{
    public const string FileName = "baselines.json";
    public string DataFingerprint { get; init; } = "";
    public string MetaSha256 { get; init; } = "";
    public string Smoothing { get; init; } = "interpolated modified Kneser-Ney";
    public List<NGramScore> Ngram { get; init; } = [];

    /// <summary>The baselines cached in <paramref name="datasetDir"/>, or null when none are (or the data changed since).</summary>
    public static BaselineFile? Read(string datasetDir)
    {
        string path = Path.Combine(datasetDir, FileName);
        if (!File.Exists(path)) return null;
        try
        {
            var f = Json.Read<BaselineFile>(path, "delete it and re-run `gptlab baseline ngram`");
            return f.MetaSha256 == MetaSha256Of(datasetDir) ? f : null;
        }
        catch (GptLabException) { return null; }
        catch (IOException) { return null; }
    }

    public static string MetaSha256Of(string datasetDir)
    {
        string meta = Path.Combine(datasetDir, "meta.json");
        return File.Exists(meta) ? Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(meta))) : "";
    }
}
