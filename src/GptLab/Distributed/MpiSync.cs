using static TorchSharp.torch;

namespace GptLab.Distributed;

/// <summary>
/// Data parallelism over MPI (written by hand: TorchSharp has no torch.distributed). Gradients are averaged in flat
/// fp32 buckets (<see cref="BucketedAverage"/>), each summed with one MPI_Allreduce straight on the tensor's memory
/// (<c>data_ptr</c>, no managed copy) on the MPI thread while backward goes on, then divided by the number of ranks.
/// </summary>
public sealed unsafe class MpiSync : IGradientSync
{
    private const long BroadcastFloats = 25L << 18;   // 25 MiB of floats
    private static MpiSync? current;
    private readonly List<Tensor> buckets = [];       // BucketedAverage's buffers, kept from step to step

    private MpiSync()
    {
        Thread = new MpiThread();
        Thread.Run(Mpi.Init);
        Rank = Thread.Run(Mpi.Rank);
        Size = Thread.Run(Mpi.Size);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Thread.Run(Mpi.Shutdown);
    }

    public int Rank { get; }
    public int Size { get; }

    /// <summary>Every MPI call of the process runs on this thread.</summary>
    internal MpiThread Thread { get; }

    /// <summary>The process's synchronization: MPI when started by mpirun/srun with several ranks, else none.</summary>
    public static IGradientSync Detect() => Mpi.Launched ? current ??= new MpiSync() : SingleProcess.Instance;

    public void Broadcast(IReadOnlyList<Tensor> tensors)
    {
        using var scope = NewDisposeScope();
        var bucket = new List<Tensor>();
        long n = 0;
        for (int i = 0; i < tensors.Count; i++)
        {
            bucket.Add(tensors[i]);
            n += tensors[i].numel();
            if (n < BroadcastFloats && i < tensors.Count - 1) continue;
            var flat = cat(bucket.Select(b => b.detach().to(ScalarType.Float32).reshape(-1)).ToArray()).contiguous();
            Thread.Run(() => Mpi.Broadcast((float*)flat.storage<float>().data_ptr(), flat.numel(), 0));
            long off = 0;
            using (no_grad())
                foreach (var b in bucket)
                {
                    b.copy_(flat.narrow(0, off, b.numel()).view(b.shape));
                    off += b.numel();
                }
            bucket.Clear();
            n = 0;
        }
    }

    public IGradientAverage StartAverage() => new BucketedAverage(this);

    /// <summary>Bucket <paramref name="index"/>'s buffer of <paramref name="floats"/> floats (made once; remade if the size changed).</summary>
    internal Tensor Bucket(int index, long floats)
    {
        if (index == buckets.Count) buckets.Add(empty(floats, ScalarType.Float32).DetachFromDisposeScope());
        else if (buckets[index].numel() != floats)
        {
            buckets[index].Dispose();
            buckets[index] = empty(floats, ScalarType.Float32).DetachFromDisposeScope();
        }
        return buckets[index];
    }

    public double[] Sum(double[] values)
    {
        var copy = (double[])values.Clone();
        Thread.Run(() =>
        {
            fixed (double* p = copy) Mpi.AllReduceSum(p, copy.Length);
        });
        return copy;
    }

    public bool Any(bool value) => Thread.Run(() => Mpi.AllReduceMax(value ? 1 : 0)) == 1;
}
