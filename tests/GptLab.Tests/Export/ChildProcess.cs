using System.Diagnostics;

namespace GptLab.Tests.Export;

/// <summary>Runs a program (dotnet, node) to its end and returns its exit code, stdout and stderr.</summary>
internal static class ChildProcess
{
    public static (int Exit, string Out, string Err) Run(string exe, string workDir, params string[] args)
    {
        var psi = new ProcessStartInfo(exe) { WorkingDirectory = workDir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output, err.GetAwaiter().GetResult());
    }

    /// <summary>The repository's root (where GptLab.slnx is), above the test binaries.</summary>
    public static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "GptLab.slnx"))) return d.FullName;
        throw new InvalidOperationException("GptLab.slnx not found above the test folder");
    }
}
