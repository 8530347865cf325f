namespace GptLab.Export;

/// <summary>Symmetric int8 quantization of a row-major matrix, one scale per row (axis 0) or per column (axis 1):
/// scale = max|w| / 127, q = round(w / scale) in [−127, 127].</summary>
internal static class Int8
{
    public static (sbyte[] Q, float[] Scale) Quantize(float[] w, long rows, long cols, int axis)
    {
        long channels = axis == 0 ? rows : cols;
        var scale = new float[channels];
        for (long r = 0; r < rows; r++)
            for (long k = 0; k < cols; k++)
            {
                long ch = axis == 0 ? r : k;
                scale[ch] = Math.Max(scale[ch], Math.Abs(w[r * cols + k]));
            }
        for (int ch = 0; ch < channels; ch++) scale[ch] = scale[ch] > 0 ? scale[ch] / 127f : 1f;
        var q = new sbyte[w.Length];
        for (long r = 0; r < rows; r++)
            for (long k = 0; k < cols; k++)
                q[r * cols + k] = (sbyte)Math.Clamp(MathF.Round(w[r * cols + k] / scale[axis == 0 ? r : k]), -127, 127);
        return (q, scale);
    }
}
