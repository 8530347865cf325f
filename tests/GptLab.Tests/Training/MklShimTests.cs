using System.Text.Json;

namespace GptLab.Tests.Training;

public class MklShimTests
{
    /// <summary>On an x64 Linux CPU with AVX2 the shim loads; on any other CPU it must stay off (MKL's own path is
    /// right there). Either way the numbers do not depend on it.</summary>
    [Fact]
    public void The_mkl_shim_loads_only_where_it_helps_and_leaves_the_numbers_unchanged()
    {
        using var dir = new TempDir();
        string[] args = ["bench", "--preset", "a", "--iters", "3", "--warmup", "0", "--threads", "1", "--json", "--set", "peak_flops=1e11"];
        var with = GptLabProcess.Run(dir.Path, args);
        Assert.True(with.Exit == 0, with.Err);
        var a = JsonDocument.Parse(with.Out).RootElement;
        Environment.SetEnvironmentVariable("GPTLAB_NO_MKL_SHIM", "1");
        try
        {
            var without = GptLabProcess.Run(dir.Path, args);
            Assert.True(without.Exit == 0, without.Err);
            var b = JsonDocument.Parse(without.Out).RootElement;
            Assert.Equal(System.Runtime.Intrinsics.X86.Avx2.IsSupported, a.GetProperty("mkl_shim").GetBoolean());
            Assert.False(b.GetProperty("mkl_shim").GetBoolean());
            // same model, same data, three AdamW steps: the loss agrees to fp32 rounding
            Assert.Equal(a.GetProperty("final_loss").GetDouble(), b.GetProperty("final_loss").GetDouble(), 4);
        }
        finally
        {
            Environment.SetEnvironmentVariable("GPTLAB_NO_MKL_SHIM", null);
        }
    }
}
