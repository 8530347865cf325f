using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace GptLab.Model;

/// <summary>
/// Inverted-dropout masks for CPU tensors, drawn by hand: each value is 0 with probability p, else 1/(1−p), written
/// straight in the activations' dtype. libtorch's way costs a rand() (2.5 ns per value on this 2-core machine) and
/// three more passes over an fp32 tensor (compare, scale, cast); dropout 0.2 at block 256 draws 34M values a step in
/// nanoGPT's 6-layer model. TorchSharp has no fused dropout-mask kernel, so this one is written here.
/// The values come from SplitMix64 (Steele, Lea and Flood, 2014) counted from a seed that libtorch's generator draws,
/// so manual_seed and a checkpoint's generator state still decide every mask. A 64-bit draw gives two 32-bit uniforms; a value is kept
/// when its uniform is ≥ round(p·2³²) (p exact to 2⁻³²).
/// </summary>
internal static unsafe class DropoutMask
{
    private const ulong Golden = 0x9E3779B97F4A7C15UL;

    /// <summary>Whether masks of this dtype and device are drawn here (CPU; float32, bfloat16, float16; under 2 GiB).</summary>
    public static bool Handles(Tensor x) =>
        x.device.type == DeviceType.CPU && x.dtype is ScalarType.Float32 or ScalarType.BFloat16 or ScalarType.Float16 && x.numel() * x.ElementSize < int.MaxValue;

    /// <summary>A mask shaped and typed like <paramref name="x"/> (which must be <see cref="Handles">handled</see>).</summary>
    public static Tensor Like(Tensor x, double p)
    {
        ulong seed = (ulong)randint(0, long.MaxValue, [1], dtype: ScalarType.Int64).item<long>();
        var mask = empty(x.shape, dtype: x.dtype, device: x.device);
        long n = mask.numel();
        uint threshold = (uint)Math.Min(uint.MaxValue, Math.Round(p * 4294967296.0));
        float scale = (float)(1 / (1 - p));
        void* data = Unsafe.AsPointer(ref MemoryMarshal.GetReference(mask.bytes));   // the tensor's own memory (native: never moved)
        // one thread: a Parallel.For over two cores measured slower (b, bf16: forward 262–269 vs 211–243 ms), its
        // workers contending with libtorch's OpenMP threads; vectorized, one thread draws ~34M values in a few ms
        switch (x.dtype)
        {
            case ScalarType.Float32: Fill((float*)data, n, seed, threshold, scale); break;
            case ScalarType.BFloat16: Fill((ushort*)data, n, seed, threshold, BFloat16Bits(scale)); break;
            default: Fill((ushort*)data, n, seed, threshold, BitConverter.HalfToUInt16Bits((Half)scale)); break;
        }
        return mask;
    }

    /// <summary>dst[0 … end) = keep or 0 (all-zero bits in every float format).</summary>
    private static void Fill<T>(T* dst, long end, ulong seed, uint threshold, T keep) where T : unmanaged
    {
        // values 2j and 2j+1 come from the (j+1)-th SplitMix64 output of the seed
        long k = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            // 16 values (8 draws) a round; lanes of a draw's two halves are consecutive values (little-endian)
            var thr = Vector256.Create(threshold);
            var step = Vector256.Create(unchecked(8 * Golden));
            var ctr = Vector256.Create(seed) + Vector256.Create(1UL, 2, 3, 4) * Vector256.Create(Golden);   // draws 1–4; ctr2 draws 5–8
            var ctr2 = ctr + Vector256.Create(unchecked(4 * Golden));
            for (; k + 16 <= end; k += 16)
            {
                var a = Vector256.GreaterThanOrEqual(Mix(ctr).AsUInt32(), thr);      // all ones where kept
                var b = Vector256.GreaterThanOrEqual(Mix(ctr2).AsUInt32(), thr);
                ctr += step;
                ctr2 += step;
                if (sizeof(T) == 4)
                {
                    var bits = Vector256.Create(Unsafe.As<T, uint>(ref keep));
                    (a & bits).Store((uint*)(dst + k));
                    (b & bits).Store((uint*)(dst + k + 8));
                }
                else (Vector256.Narrow(a, b) & Vector256.Create(Unsafe.As<T, ushort>(ref keep))).Store((ushort*)(dst + k));
            }
        }
        for (; k < end; k += 2)
        {
            ulong z = Mix(seed + (ulong)(k / 2 + 1) * Golden);
            dst[k] = (uint)z >= threshold ? keep : default;
            if (k + 1 < end) dst[k + 1] = (uint)(z >> 32) >= threshold ? keep : default;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> Mix(Vector256<ulong> z)
    {
        z = (z ^ Vector256.ShiftRightLogical(z, 30)) * Vector256.Create(0xBF58476D1CE4E5B9UL);
        z = (z ^ Vector256.ShiftRightLogical(z, 27)) * Vector256.Create(0x94D049BB133111EBUL);
        return z ^ Vector256.ShiftRightLogical(z, 31);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The bfloat16 nearest <paramref name="f"/> (round to nearest even), as libtorch's cast rounds.</summary>
    private static ushort BFloat16Bits(float f)
    {
        uint bits = BitConverter.SingleToUInt32Bits(f);
        return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }
}
