using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using TorchSharp;

namespace GptLab;

/// <summary>
/// Prepares libtorch before its first use: loads the MKL shim (so MKL's fast kernels run on AMD CPUs) and
/// sets the number of intra-op threads. Call <see cref="Initialize"/> before anything touches <c>torch</c>.
/// </summary>
public static class TorchRuntime
{
    private static readonly Lock Gate = new();
    private static bool initialized;

    /// <summary>Whether the MKL shim was loaded (false when disabled, unsupported, or not found).</summary>
    public static bool MklShimLoaded { get; private set; }

    /// <summary>Why the shim is not loaded, or null when it is.</summary>
    public static string? MklShimNote { get; private set; }

    public static void Initialize(int? threads = null)
    {
        lock (Gate)
        {
            if (!initialized)
            {
                LoadMklShim();
                initialized = true;
            }
        }
        if (threads is > 0) SetThreads(threads.Value);
    }

    public static void SetThreads(int threads)
    {
        if (torch.get_num_threads() != threads) torch.set_num_threads(threads);
    }

    private static void LoadMklShim()
    {
        if (Environment.GetEnvironmentVariable("GPTLAB_NO_MKL_SHIM") is { Length: > 0 } v && v != "0")
        {
            MklShimNote = "disabled by GPTLAB_NO_MKL_SHIM";
            return;
        }
        if (!OperatingSystem.IsLinux() || !Avx2.IsSupported)
        {
            MklShimNote = "not needed on this CPU/OS";
            return;
        }
        string path = Path.Combine(AppContext.BaseDirectory, "libgptlab_mkl_shim.so");
        if (!File.Exists(path))
        {
            MklShimNote = $"{path} not found (fp32 matmul may be slow on AMD CPUs)";
            return;
        }
        // RTLD_NOW | RTLD_GLOBAL: the symbol must be global before libtorch_cpu.so is loaded so that it interposes.
        IntPtr handle = dlopen(path, 0x2 | 0x100);
        MklShimLoaded = handle != IntPtr.Zero;
        MklShimNote = MklShimLoaded ? null : "dlopen failed";
    }

    [DllImport("libc", EntryPoint = "dlopen")]
    private static extern IntPtr dlopen(string fileName, int flags);
}
