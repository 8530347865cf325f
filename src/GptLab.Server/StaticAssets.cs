using Microsoft.AspNetCore.Http;

namespace GptLab.Server;

/// <summary>The page and its vendored scripts, embedded in the assembly. Only the names listed at build time can
/// be served: a request path is looked up, never joined to a folder.</summary>
internal static class StaticAssets
{
    private const string Prefix = "GptLab.Server.wwwroot.";

    private static readonly Dictionary<string, (byte[] Bytes, string Type)> Files = Load();

    private static Dictionary<string, (byte[], string)> Load()
    {
        var asm = typeof(StaticAssets).Assembly;
        var files = new Dictionary<string, (byte[], string)>(StringComparer.Ordinal);
        foreach (var name in asm.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            using var s = asm.GetManifestResourceStream(name)!;
            using var m = new MemoryStream();
            s.CopyTo(m);
            string path = name[Prefix.Length..].Replace('\\', '/');
            files[path] = (m.ToArray(), Path.GetExtension(path) switch
            {
                ".html" => "text/html; charset=utf-8",
                ".js" => "text/javascript; charset=utf-8",
                ".css" => "text/css; charset=utf-8",
                ".png" => "image/png",
                _ => "text/plain; charset=utf-8",
            });
        }
        return files;
    }

    public static IResult Serve(string path)
    {
        if (!Files.TryGetValue(path, out var f)) throw HttpProblem.NotFound($"no file '{path}'");
        return Results.Bytes(f.Bytes, f.Type);
    }
}
