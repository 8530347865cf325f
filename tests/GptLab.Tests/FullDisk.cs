using System.Diagnostics;

namespace GptLab.Tests;

/// <summary>
/// A small folder whose writes fail: a tmpfs of a few MiB when the tests run as root (mounted here, unmounted on
/// dispose), filled up on demand; elsewhere a folder made read-only (an injected write failure).
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class FullDisk : IDisposable
{
    private readonly bool mounted;

    public FullDisk(string path, int sizeKb = 4096)
    {
        Path = path;
        Directory.CreateDirectory(path);
        mounted = Environment.UserName == "root" && Run("mount", "-t", "tmpfs", "-o", $"size={sizeKb}k", "tmpfs", path) == 0;
    }

    public string Path { get; }

    /// <summary>Makes every further write in the folder fail: fill the tmpfs, or take away write permission.</summary>
    public void Fill()
    {
        if (mounted)
        {
            // unbuffered, so nothing is left to flush (and fail) on dispose; ever smaller writes fill the last bytes
            var fs = new FileStream(System.IO.Path.Combine(Path, "filler"), FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0);
            foreach (int size in new[] { 64 * 1024, 4096, 512, 1 })
            {
                var block = new byte[size];
                try { while (true) fs.Write(block); }
                catch (IOException) { }
            }
            try { fs.Dispose(); }
            catch (IOException) { }
        }
        else
        {
            foreach (var d in Directory.GetDirectories(Path, "*", SearchOption.AllDirectories).Append(Path))
                File.SetUnixFileMode(d, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        }
    }

    public void Dispose()
    {
        if (mounted) Run("umount", "-l", Path);
        else
            foreach (var d in Directory.GetDirectories(Path, "*", SearchOption.AllDirectories).Append(Path))
                File.SetUnixFileMode(d, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private static int Run(string file, params string[] args)
    {
        try
        {
            var psi = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var a in args) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            p.WaitForExit();
            return p.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception) { return -1; }
    }
}
