using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using TorchSharp;

namespace GptLab;

/// <summary>
/// Prepares libtorch before its first use: loads the MKL shim (so MKL's fast kernels run on AMD CPUs) and
/// sets the number of intra-op threads. Call <see cref="Initialize"/> before anything touches <c>torch</c>.
/// </summary>
internal static class TorchRuntime
{
    private static readonly Lock Gate = new();
    private static bool initialized;

    /// <summary>Whether the MKL shim was loaded (false when disabled, unsupported, or not found).</summary>
    public static bool MklShimLoaded { get; private set; }

    /// <summary>Why the shim is not loaded, or null when it is.</summary>
    public static string? MklShimNote { get; private set; }

    /// <summary>The device a config names; cuda on a build whose libtorch has no CUDA is a one-line error.</summary>
    public static TorchSharp.torch.Device Device(string spec)
    {
        if (spec == "cpu") return TorchSharp.torch.CPU;
        if (!TorchSharp.torch.cuda.is_available())
            throw new GptLabException($"device '{spec}': this GptLab is built with the CPU libtorch (libtorch-cpu-linux-x64), which has no CUDA — "
                + "build it with -p:LibTorchPackage=libtorch-cuda-12.8-linux-x64 on a machine with NVIDIA drivers (README: GPU build), or set device=cpu");
        return new TorchSharp.torch.Device(spec);
    }

    public static void Initialize(int? threads = null)
    {
        lock (Gate)
        {
            if (!initialized)
            {
                TuneMalloc();
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

    /// <summary>Whether glibc's malloc was told to keep freed memory (see <see cref="TuneMalloc"/>).</summary>
    public static bool MallocTuned { get; private set; }

    /// <summary>
    /// glibc serves blocks above 32 MiB with fresh mmap()s and unmaps them on free, so every training step of a
    /// model whose activations pass that size page-faults gigabytes back in (b at batch 24: 2.5 s/step instead of
    /// 1.5 s). Taking every block from the heap and never trimming it keeps the pages: memory stays at the
    /// process's peak, which a training process reaches anyway. GPTLAB_NO_MALLOC_TUNING=1 turns it off.
    /// </summary>
    private static void TuneMalloc()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("GPTLAB_NO_MALLOC_TUNING") is { Length: > 0 } v && v != "0") return;
        const int M_TRIM_THRESHOLD = -1, M_MMAP_MAX = -4;
        try
        {
            MallocTuned = mallopt(M_MMAP_MAX, 0) == 1 & mallopt(M_TRIM_THRESHOLD, int.MaxValue) == 1;
        }
        catch (EntryPointNotFoundException) { }   // not glibc (musl): leave it
        catch (DllNotFoundException) { }
    }

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int mallopt(int param, int value);

    [DllImport("libc", EntryPoint = "dlopen")]
    private static extern IntPtr dlopen(string fileName, int flags);
}
