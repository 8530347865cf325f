using static TorchSharp.torch;

namespace GptLab.Training;

/// <summary>
/// Muon's orthogonalization (Keller Jordan, 2024), written here because TorchSharp has no Muon: five steps of a
/// quintic Newton–Schulz iteration X ← aX + (bA + cA²)X with A = XXᵀ and (a, b, c) = (3.4445, −4.7750, 2.0315), from
/// X = G/‖G‖. It pushes every singular value of G towards 1 (into roughly [0.7, 1.2]: the coefficients trade exactness
/// for speed) and keeps the singular vectors, so the update is close to UVᵀ of G = USVᵀ.
/// </summary>
internal static class NewtonSchulz
{
    public const float A = 3.4445f, B = -4.7750f, C = 2.0315f;

    public static Tensor Orthogonalize(Tensor g, ScalarType dtype = ScalarType.Float32, int steps = 5) => Orthogonalize([g], dtype, steps)[0];

    /// <summary>
    /// Orthogonalizes every matrix of <paramref name="gs"/>, iterating in <paramref name="dtype"/> (muon_dtype;
    /// modded-nanogpt iterates in bfloat16). Matrices of one shape (up to transposition: each is iterated on its
    /// smaller Gram matrix) go through the iteration together as one batch — a model's layers share their shapes, so a
    /// step runs 3 batched matmuls per shape instead of 3 small ones per matrix. Each is normalized by its own
    /// Frobenius norm in fp32 first, so batching changes nothing but the kernel count.
    /// </summary>
    public static Tensor[] Orthogonalize(IReadOnlyList<Tensor> gs, ScalarType dtype, int steps = 5)
    {
        var result = new Tensor[gs.Count];
        static bool Tall(Tensor g) => g.shape[0] > g.shape[1];
        foreach (var group in Enumerable.Range(0, gs.Count).GroupBy(i => (Math.Min(gs[i].shape[0], gs[i].shape[1]), Math.Max(gs[i].shape[0], gs[i].shape[1]))))
        {
            int[] members = group.ToArray();
            var x = stack(members.Select(i => Tall(gs[i]) ? gs[i].t() : gs[i]).ToArray()).to(ScalarType.Float32);   // (n, small, large)
            x = (x / (x.square().sum([1, 2], keepdim: true).sqrt() + 1e-7)).to(dtype);                               // spectral norm ≤ Frobenius norm ≤ 1
            for (int s = 0; s < steps; s++)
            {
                var a = x.bmm(x.transpose(1, 2));
                var b = a.bmm(a).mul_(C).add_(a, alpha: B);        // bA + cA²
                x = b.bmm(x).add_(x, alpha: A);                     // aX + (bA + cA²)X
            }
            for (int k = 0; k < members.Length; k++)
            {
                var g = gs[members[k]];
                result[members[k]] = (Tall(g) ? x[k].t() : x[k]).to(g.dtype);
            }
        }
        return result;
    }
}
