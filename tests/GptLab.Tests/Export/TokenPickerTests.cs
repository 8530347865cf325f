using GptLab.Inference;

namespace GptLab.Tests.Export;

/// <summary>GptLab.Inference's sampler keeps exactly the tokens the libtorch sampler's filters keep.</summary>
public class TokenPickerTests
{
    private static HashSet<int> Picked(float[] logits, int topK, double topP, int draws = 2000)
    {
        var picker = new TokenPicker(new GenerationOptions { Temperature = 1, TopK = topK, TopP = topP, Seed = 3 }, logits.Length);
        return Enumerable.Range(0, draws).Select(_ => picker.Pick(logits)).ToHashSet();
    }

    [Fact]
    public void TopKKeepsTheKLargestAndTheirTies()
    {
        float[] logits = [1, 4, 3, 4, 2, 0];
        Assert.Equal([1, 3], Picked(logits, 2, 1.0).Order());
        Assert.Equal([1, 2, 3], Picked(logits, 3, 1.0).Order());
        Assert.Equal([1, 2, 3], Picked([1, 4, 3, 4, 3, 0], 3, 1.0).Where(i => i != 4).Order());   // a tie with the 3rd survives …
        Assert.Contains(4, Picked([1, 4, 3, 4, 3, 0], 3, 1.0));                                   // … both of them
    }

    [Fact]
    public void TopPKeepsTheSmallestPrefixWithThatMassAfterTopK()
    {
        float[] logits = [MathF.Log(0.5f), MathF.Log(0.3f), MathF.Log(0.15f), MathF.Log(0.05f)];
        Assert.Equal([0], Picked(logits, 0, 0.45).Order());        // 0.5 already reaches 0.45
        Assert.Equal([0, 1], Picked(logits, 0, 0.7).Order());
        Assert.Equal([0, 1, 2, 3], Picked(logits, 0, 1.0).Order());
        Assert.Equal([0, 1], Picked(logits, 2, 0.99).Order());     // top-k first, then the nucleus of what is left
    }
}
