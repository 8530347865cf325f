using static TorchSharp.torch;

namespace GptLab.Distributed;

/// <summary>
/// Data parallelism over MPI (written by hand: TorchSharp has no torch.distributed). Gradients are packed into flat
/// fp32 buckets of about 25 MB, each summed with one MPI_Allreduce straight on the tensor's memory
/// (<c>data_ptr</c>, no managed copy), then divided by the number of ranks and unpacked.
/// </summary>
public sealed unsafe class MpiSync : IGradientSync
{
    private const long BucketFloats = 25L << 18;   // 25 MiB of floats
    private static MpiSync? current;

    private MpiSync()
    {
        Mpi.Init();
        Rank = Mpi.Rank();
        Size = Mpi.Size();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Mpi.Shutdown();
    }

    public int Rank { get; }
    public int Size { get; }

    /// <summary>The process's synchronization: MPI when started by mpirun/srun with several ranks, else none.</summary>
    public static IGradientSync Detect() => Mpi.Launched ? current ??= new MpiSync() : SingleProcess.Instance;

    public void Broadcast(IReadOnlyList<Tensor> tensors)
    {
        using var scope = NewDisposeScope();
        foreach (var bucket in Buckets(tensors))
        {
            var flat = cat(bucket.Select(t => t.detach().to(ScalarType.Float32).reshape(-1)).ToArray()).contiguous();
            Mpi.Broadcast((float*)flat.storage<float>().data_ptr(), flat.numel(), 0);
            long off = 0;
            using (no_grad())
                foreach (var t in bucket)
                {
                    t.copy_(flat.narrow(0, off, t.numel()).view(t.shape));
                    off += t.numel();
                }
        }
    }

    public void AverageGradients(IReadOnlyList<Tensor> grads)
    {
        using var scope = NewDisposeScope();
        foreach (var bucket in Buckets(grads))
        {
            var flat = cat(bucket.Select(g => g.reshape(-1)).ToArray()).contiguous();
            Mpi.AllReduceSum((float*)flat.storage<float>().data_ptr(), flat.numel());
            flat.div_(Size);
            long off = 0;
            foreach (var g in bucket)
            {
                g.copy_(flat.narrow(0, off, g.numel()).view(g.shape));
                off += g.numel();
            }
        }
    }

    public double[] Sum(double[] values)
    {
        var copy = (double[])values.Clone();
        fixed (double* p = copy) Mpi.AllReduceSum(p, copy.Length);
        return copy;
    }

    public bool Any(bool value) => Mpi.AllReduceMax(value ? 1 : 0) == 1;

    private static IEnumerable<List<Tensor>> Buckets(IReadOnlyList<Tensor> tensors)
    {
        var bucket = new List<Tensor>();
        long n = 0;
        foreach (var t in tensors)
        {
            bucket.Add(t);
            n += t.numel();
            if (n >= BucketFloats)
            {
                yield return bucket;
                bucket = [];
                n = 0;
            }
        }
        if (bucket.Count > 0) yield return bucket;
    }
}
