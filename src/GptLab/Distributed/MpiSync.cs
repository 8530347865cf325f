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
        foreach (var bucket in Buckets(tensors, BroadcastFloats))
        {
            var flat = empty(bucket.Sum(t => t.numel()), ScalarType.Float32);
            using (no_grad()) BucketedAverage.Pack(bucket, flat);
            Thread.Run(() => Mpi.Broadcast((float*)flat.storage<float>().data_ptr(), flat.numel(), 0));
            using (no_grad()) BucketedAverage.Unpack(flat, bucket);
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

    private static IEnumerable<List<Tensor>> Buckets(IReadOnlyList<Tensor> tensors, long floats)
    {
        var bucket = new List<Tensor>();
        long n = 0;
        foreach (var t in tensors)
        {
            bucket.Add(t);
            n += t.numel();
            if (n >= floats)
            {
                yield return bucket;
                bucket = [];
                n = 0;
            }
        }
        if (bucket.Count > 0) yield return bucket;
    }
}
