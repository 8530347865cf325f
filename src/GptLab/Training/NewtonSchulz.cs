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

    public static Tensor Orthogonalize(Tensor g, int steps = 5)
    {
        var x = g.to(ScalarType.Float32);
        bool tall = x.shape[0] > x.shape[1];
        if (tall) x = x.t();                                   // iterate on the smaller Gram matrix
        x = x / (x.norm() + 1e-7);                             // spectral norm ≤ Frobenius norm ≤ 1
        for (int i = 0; i < steps; i++)
        {
            var a = x.matmul(x.t());
            var b = addmm(a, a, a, beta: B, alpha: C);       // bA + cA², one fused call
            x = addmm(x, b, x, beta: A, alpha: 1);            // aX + (bA + cA²)X
        }
        if (tall) x = x.t();
        return x.to(g.dtype);
    }
}
