using System.Runtime.InteropServices;

namespace GptLab.Distributed;

/// <summary>
/// The few calls of Open MPI's C API that data-parallel training needs, by P/Invoke to <c>libmpi.so.40</c> (the
/// MPI.NET package targets Windows' MS-MPI; TorchSharp has no torch.distributed). Handles such as MPI_COMM_WORLD are
/// the addresses of Open MPI's exported globals. Loaded only when the process was started by mpirun or srun.
/// </summary>
internal static unsafe partial class Mpi
{
    private const string Lib = "libmpi.so.40";
    private static nint lib, commWorld, typeFloat, typeDouble, typeInt, opSum, opMax;

    /// <summary>True when a launcher started this process as one of several ranks.</summary>
    public static bool Launched =>
        int.TryParse(Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE") ?? Environment.GetEnvironmentVariable("PMIX_SIZE")
                     ?? Environment.GetEnvironmentVariable("PMI_SIZE") ?? Environment.GetEnvironmentVariable("SLURM_NTASKS"), out int n) && n > 1;

    /// <summary>This process's rank as the launcher set it (before MPI_Init), or null when not launched as a rank.</summary>
    public static int? LaunchedRank =>
        Launched && int.TryParse(Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_RANK") ?? Environment.GetEnvironmentVariable("PMIX_RANK")
                                 ?? Environment.GetEnvironmentVariable("PMI_RANK") ?? Environment.GetEnvironmentVariable("SLURM_PROCID"), out int r) ? r : null;

    public static void Init()
    {
        try { lib = NativeLibrary.Load(Lib); }
        catch (DllNotFoundException) { throw new GptLabException("started by mpirun/srun, but Open MPI's libmpi.so.40 is missing — apt-get install openmpi-bin libopenmpi-dev"); }
        commWorld = NativeLibrary.GetExport(lib, "ompi_mpi_comm_world");
        typeFloat = NativeLibrary.GetExport(lib, "ompi_mpi_float");
        typeDouble = NativeLibrary.GetExport(lib, "ompi_mpi_double");
        typeInt = NativeLibrary.GetExport(lib, "ompi_mpi_int");
        opSum = NativeLibrary.GetExport(lib, "ompi_mpi_op_sum");
        opMax = NativeLibrary.GetExport(lib, "ompi_mpi_op_max");
        int provided;
        Check(MPI_Init_thread(null, null, ThreadFunneled, &provided), "MPI_Init_thread");   // called from MpiThread, the only thread that calls MPI
    }

    public static int Rank()
    {
        int r;
        Check(MPI_Comm_rank(commWorld, &r), "MPI_Comm_rank");
        return r;
    }

    public static int Size()
    {
        int n;
        Check(MPI_Comm_size(commWorld, &n), "MPI_Comm_size");
        return n;
    }

    /// <summary>
    /// Sums <paramref name="count"/> floats at <paramref name="data"/> over all ranks, in place, for a thread that shares
    /// its cores with computation: Open MPI's blocking calls spin until the other ranks answer, taking a core from
    /// backward, so this starts an MPI_Iallreduce and polls it with MPI_Test, sleeping
    /// <paramref name="pollMicroseconds"/> between polls.
    /// </summary>
    public static void AllReduceSumSleeping(float* data, long count, int pollMicroseconds)
    {
        const long chunk = int.MaxValue / 2;
        for (long off = 0; off < count; off += chunk)
        {
            nint request;
            Check(MPI_Iallreduce((void*)1, data + off, (int)Math.Min(chunk, count - off), typeFloat, opSum, commWorld, &request), "MPI_Iallreduce");
            int done = 0;
            while (true)
            {
                Check(MPI_Test(&request, &done, null), "MPI_Test");
                if (done != 0) break;
                usleep((uint)pollMicroseconds);
            }
        }
    }

    public static void AllReduceSum(double* data, int count) => Check(MPI_Allreduce((void*)1, data, count, typeDouble, opSum, commWorld), "MPI_Allreduce");

    public static int AllReduceMax(int value)
    {
        int result;
        Check(MPI_Allreduce(&value, &result, 1, typeInt, opMax, commWorld), "MPI_Allreduce");
        return result;
    }

    public static void Broadcast(float* data, long count, int root)
    {
        const long chunk = int.MaxValue / 2;
        for (long off = 0; off < count; off += chunk)
            Check(MPI_Bcast(data + off, (int)Math.Min(chunk, count - off), typeFloat, root, commWorld), "MPI_Bcast");
    }

    public static void Shutdown() => MPI_Finalize();

    private static void Check(int rc, string call)
    {
        if (rc != 0) throw new GptLabException($"{call} failed (MPI error {rc}): another rank has probably died");
    }

    private const int ThreadFunneled = 1;   // MPI_THREAD_FUNNELED in Open MPI's mpi.h
    [LibraryImport(Lib)] private static partial int MPI_Init_thread(int* argc, byte*** argv, int required, int* provided);
    [LibraryImport(Lib)] private static partial int MPI_Finalize();
    [LibraryImport(Lib)] private static partial int MPI_Comm_rank(nint comm, int* rank);
    [LibraryImport(Lib)] private static partial int MPI_Comm_size(nint comm, int* size);
    [LibraryImport(Lib)] private static partial int MPI_Allreduce(void* send, void* recv, int count, nint type, nint op, nint comm);
    [LibraryImport(Lib)] private static partial int MPI_Bcast(void* buffer, int count, nint type, int root, nint comm);
    [LibraryImport(Lib)] private static partial int MPI_Iallreduce(void* send, void* recv, int count, nint type, nint op, nint comm, nint* request);
    [LibraryImport(Lib)] private static partial int MPI_Test(nint* request, int* flag, void* status);   // status: MPI_STATUS_IGNORE is NULL in Open MPI
    [LibraryImport("libc", SetLastError = false)] private static partial int usleep(uint microseconds);
}
