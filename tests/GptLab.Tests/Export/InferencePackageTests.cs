using GptLab.Export;

namespace GptLab.Tests.Export;

/// <summary>GptLab.Inference as a NuGet package: packed with `dotnet pack`, restored into a fresh app, generating.</summary>
public class InferencePackageTests
{
    [Fact]
    public void ThePackedLibraryRestoresIntoAFreshAppAndGeneratesTheSameGreedyTextAsGptLab()
    {
        using var dir = new TempDir();
        using var model = OnnxExportTests.Model("learned layernorm gelu tied bias");
        var chars = OnnxExportTests.Chars;
        OnnxExport.Write(model, chars, dir["model"]);
        string version = $"0.0.1-test{DateTime.UtcNow:yyyyMMddHHmmssfff}";   // a version of its own: the NuGet cache never serves an older build
        var pack = ChildProcess.Run("dotnet", ChildProcess.RepoRoot(), "pack", "src/GptLab.Inference", "-c", "Release", "-o", dir["feed"], $"-p:Version={version}");
        Assert.True(pack.Exit == 0, pack.Out + pack.Err);

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
        var run = ChildProcess.Run("dotnet", dir["app"], "run", "--", dir["model"]);
        Assert.True(run.Exit == 0, run.Out + run.Err);
        var expected = GptLab.Sampling.Sampler.Generate(model, [3, 1, 4], 1, new GptLab.Sampling.SamplingOptions { MaxNewTokens = 40, Temperature = 0, VocabLimit = chars.VocabSize, Window = GptLab.Sampling.WindowMode.Jump })[0];
        var lines = run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(string.Join(",", expected), lines);
    }
}
