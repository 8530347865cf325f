using System.Diagnostics;
using static TorchSharp.torch;

namespace GptLab.Distributed;

/// <summary>
/// <see cref="IGradientAverage"/> over MPI: gradients are packed, in the order they are added, into flat fp32 buckets
/// of about <see cref="BucketFloats"/> floats (each a buffer kept from step to step); a full bucket is handed to the
/// MPI thread for one MPI_Allreduce on its memory, and the training thread goes on with backward meanwhile.
/// </summary>
internal sealed unsafe class BucketedAverage(MpiSync sync) : IGradientAverage
{
    /// <summary>4 MiB of floats: a block of a 6L/384 model is 1.8M parameters, so each block's gradients can leave as
    /// soon as backward has made them (PyTorch DDP sends its first bucket at 1 MB, the others at 25 MB). Also fast in
    /// Open MPI 4.1 with its defaults: between two ranks of this machine one 43 MB allreduce took ~145 ms (its default
    /// algorithm; the ring 7–13 ms), while a kept 4 MiB buffer takes ~0.3 ms.</summary>
    public const long BucketFloats = 1L << 20;

    /// <summary>How long the MPI thread sleeps between polls of a bucket's MPI_Iallreduce. Open MPI's blocking
    /// MPI_Allreduce spins, taking a core from backward while it waits for the other rank; polling every 50 µs won all
    /// three alternating rounds of bench/mpi_scaling.py (b, 2 ranks × 1 thread on 2 cores: 0.866 / 0.949 / 0.871 of the
    /// independent pair, against 0.851 / 0.913 / 0.822 spinning; 200 µs: 0.945 / 0.847 / 0.893).</summary>
    private const int PollMicroseconds = 50;

    private readonly List<Tensor> pending = [];
    private long pendingFloats;
    private readonly List<(Task Reduced, Tensor Flat, List<Tensor> Grads)> sent = [];
    private long reduceTicks;

    public double ReduceMs => reduceTicks * 1000.0 / Stopwatch.Frequency;

    public void Add(IReadOnlyList<Tensor> grads)
    {
        foreach (var g in grads)
        {
            pending.Add(g);
            pendingFloats += g.numel();
            if (pendingFloats >= BucketFloats) Send();
        }
    }

    public void Finish()
    {
        if (pending.Count > 0) Send();
        foreach (var (reduced, flat, grads) in sent)
        {
            reduced.GetAwaiter().GetResult();
            flat.div_(sync.Size);
            Unpack(flat, grads);
        }
        sent.Clear();
    }

    private void Send()
    {
        var flat = sync.Bucket(sent.Count, pendingFloats);
        Pack(pending, flat);
        float* data = (float*)flat.storage<float>().data_ptr();
        long count = flat.numel();
        sent.Add((sync.Thread.Post(() =>
        {
            long start = Stopwatch.GetTimestamp();
            Mpi.AllReduceSumSleeping(data, count, PollMicroseconds);
            Interlocked.Add(ref reduceTicks, Stopwatch.GetTimestamp() - start);
        }), flat, [.. pending]));
        pending.Clear();
        pendingFloats = 0;
    }

    /// <summary>Copies <paramref name="tensors"/> one after another into <paramref name="flat"/> (converting to its dtype).</summary>
    internal static void Pack(IEnumerable<Tensor> tensors, Tensor flat)
    {
        long off = 0;
        foreach (var t in tensors)
        {
            using var part = flat.narrow(0, off, t.numel());
            part.view(t.shape).copy_(t);
            off += t.numel();
        }
    }

    /// <summary>The reverse of <see cref="Pack"/>: each tensor takes its piece of <paramref name="flat"/> back.</summary>
    internal static void Unpack(Tensor flat, IEnumerable<Tensor> tensors)
    {
        long off = 0;
        foreach (var t in tensors)
        {
            using var part = flat.narrow(0, off, t.numel());
            t.copy_(part.view(t.shape));
            off += t.numel();
        }
    }
}
