using System.Diagnostics;
using GptLab.Export;

namespace GptLab.Tests.Export;

/// <summary>GptLab.Inference as a NuGet package: packed with `dotnet pack`, restored into a fresh app, generating.</summary>
public class InferencePackageTests
{
    private static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "GptLab.slnx"))) return d.FullName;
        throw new InvalidOperationException("GptLab.slnx not found above the test folder");
    }

    private static (int Exit, string Out) Dotnet(string workDir, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = workDir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output + err.Result);
    }

    [Fact]
    public void ThePackedLibraryRestoresIntoAFreshAppAndGeneratesTheSameGreedyTextAsGptLab()
    {
        using var dir = new TempDir();
        using var model = OnnxExportTests.Model("learned layernorm gelu tied bias");
        var chars = new CharTokenizer("abcdefghij klmnop\n".Select(c => (int)c), withEos: true);
        OnnxExport.Write(model, chars, dir["model"]);
        string version = $"0.0.1-test{DateTime.UtcNow:yyyyMMddHHmmssfff}";   // a version of its own: the NuGet cache never serves an older build
        var pack = Dotnet(RepoRoot(), "pack", "src/GptLab.Inference", "-c", "Release", "-o", dir["feed"], $"-p:Version={version}");
        Assert.True(pack.Exit == 0, pack.Out);

        // the app, written as a user would: its own csproj (no repository props), a nuget.config naming the local feed
        Directory.CreateDirectory(dir["app"]);
        File.WriteAllText(dir["app/Directory.Build.props"], "<Project />");
        File.WriteAllText(dir["app/Directory.Packages.props"], "<Project />");
        File.WriteAllText(dir["app/app.csproj"], $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework><ImplicitUsings>enable</ImplicitUsings></PropertyGroup>
              <ItemGroup><PackageReference Include="GptLab.Inference" Version="{version}" /></ItemGroup>
            </Project>
            """);
        File.WriteAllText(dir["app/nuget.config"], $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration><packageSources><add key="local" value="{dir["feed"]}" /></packageSources></configuration>
            """);
        File.WriteAllText(dir["app/Program.cs"], """
            using GptLab.Inference;
            using var generator = Generator.Load(args[0]);
            var ids = generator.GenerateIds([3, 1, 4], 1, new GenerationOptions { MaxNewTokens = 40, Temperature = 0 })[0];
            Console.WriteLine(string.Join(",", ids));
            Console.WriteLine(string.Concat(generator.Generate("abc", new GenerationOptions { MaxNewTokens = 10, Seed = 1 })).Length);
            """);
        var run = Dotnet(dir["app"], "run", "--", dir["model"]);
        Assert.True(run.Exit == 0, run.Out);
        var expected = GptLab.Sampling.Sampler.Generate(model, [3, 1, 4], 1, new GptLab.Sampling.SamplingOptions { MaxNewTokens = 40, Temperature = 0, VocabLimit = chars.VocabSize, Window = GptLab.Sampling.WindowMode.Jump })[0];
        var lines = run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(string.Join(",", expected), lines);
    }
}
