using GptLab.Data;

namespace GptLab.Tests.Data;

public class TokenShardTests
{
    [Theory]
    [InlineData(65, 2)]
    [InlineData(70000, 4)]
    public void Written_tokens_read_back(int vocab, int bytes)
    {
        using var dir = new TempDir();
        var tokens = Enumerable.Range(0, 1000).Select(i => i * 61 % vocab).ToArray();
        using (var w = new TokenShardWriter(dir["s.bin"], vocab)) { w.Write(tokens); w.Complete(); }
        Assert.Equal(1024 + 1000 * bytes, new FileInfo(dir["s.bin"]).Length);
        using var s = TokenShard.Open(dir["s.bin"]);
        Assert.Equal(bytes, s.TokenBytes);
        Assert.Equal(tokens, s.ReadAll());
    }

    [Fact]
    public void A_truncated_shard_says_how_to_fix_it()
    {
        using var dir = new TempDir();
        using (var w = new TokenShardWriter(dir["s.bin"], 65)) { w.Write(new int[100]); w.Complete(); }
        using (var f = new FileStream(dir["s.bin"], FileMode.Open)) f.SetLength(1024 + 150);
        var e = Assert.Throws<GptLabException>(() => TokenShard.Open(dir["s.bin"]));
        Assert.Contains("truncated", e.Message);
        Assert.Contains("gptlab prepare", e.Message);
    }

    [Fact]
    public void A_foreign_file_is_rejected_with_a_hint()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir["x.bin"], new byte[4096]);
        var e = Assert.Throws<GptLabException>(() => TokenShard.Open(dir["x.bin"]));
        Assert.Contains("not a token shard", e.Message);
        Assert.Contains("header", e.Message);
    }

    [Fact]
    public void Batches_are_windows_of_the_shard_shifted_by_one()
    {
        using var dir = new TempDir();
        var tokens = Enumerable.Range(0, 500).Select(i => i % 300 + 40000).ToArray();   // > 32767: exercises uint16 widening
        using (var w = new TokenShardWriter(dir["s.bin"], 50257)) { w.Write(tokens); w.Complete(); }
        using var s = TokenShard.Open(dir["s.bin"]);
        var batches = new BatchSource(s, 3, 8, sequential: false, 42);
        var (x, y) = batches.Next();
        Assert.Equal(new long[] { 3, 8 }, x.shape);
        var xs = x.data<long>().ToArray();
        var ys = y.data<long>().ToArray();
        for (int b = 0; b < 3; b++)
        {
            long start = Array.IndexOf(tokens, (int)xs[b * 8]);
            for (int t = 0; t < 8; t++)
            {
                Assert.Equal(tokens[start + t], xs[b * 8 + t]);
                Assert.Equal(tokens[start + t + 1], ys[b * 8 + t]);
            }
        }
    }

    [Fact]
    public void Sequential_batches_cover_an_epoch_in_order()
    {
        using var dir = new TempDir();
        var tokens = Enumerable.Range(0, 41).ToArray();
        using (var w = new TokenShardWriter(dir["s.bin"], 65)) { w.Write(tokens); w.Complete(); }
        using var s = TokenShard.Open(dir["s.bin"]);
        var batches = new BatchSource(s, 2, 10, sequential: true, 1);
        Assert.Equal(4, batches.ChunksPerEpoch);
        var first = batches.Next().X.data<long>().ToArray();
        var second = batches.Next().X.data<long>().ToArray();
        Assert.Equal(Enumerable.Range(0, 20).Select(i => (long)i), first);
        Assert.Equal(Enumerable.Range(20, 20).Select(i => (long)i), second);
        Assert.Equal(0, batches.Epoch);
        batches.Next();
        Assert.Equal(1, batches.Epoch);
    }
}
