using GptLab.Data;
using Parquet;
using Parquet.Schema;

namespace GptLab.Tests.Cli;

/// <summary>Inputs that once ended in "unexpected error" (exit 1) or a wrong message: each is one clear line now.</summary>
public class ClearErrorTests
{
    private static void AssertOneLine((int Exit, string Out, string Err) r, string expected)
    {
        Assert.True(r.Exit is not (0 or 1), $"exit {r.Exit}: {r.Err}");   // 1 is the unexpected-error code
        var lines = r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, r.Err);
        Assert.StartsWith("error: ", lines[0]);
        Assert.DoesNotContain("unexpected error", lines[0]);
        Assert.Contains(expected, lines[0]);
    }

    [Fact]
    public void A_shard_with_token_ids_past_the_vocabulary_names_the_file_and_tokenizer()
    {
        using var dir = new TempDir();
        string data = Tiny.CharDataset(dir, 8000);
        long count;
        using (var ds = Dataset.Open(data)) count = ds.Train.Count;
        // a train.bin written with another (larger) tokenizer, the same length
        File.Delete(Path.Combine(data, "train.bin"));
        using (var w = new TokenShardWriter(Path.Combine(data, "train.bin"), 65)) { w.Write(Enumerable.Range(0, (int)count).Select(i => i % 200).ToArray()); w.Complete(); }
        var r = GptLabProcess.Run(dir.Path, "train", "--data", data, "--set", "n_layer=1", "--set", "n_head=2", "--set", "n_embd=16", "--set", "block_size=16", "--set", "max_iters=2");
        AssertOneLine(r, "train.bin holds token id 199, but the dataset's char tokenizer has only");
    }

    [Fact]
    public async Task A_damaged_parquet_file_is_one_line_naming_it()
    {
        using var dir = new TempDir();
        var field = new DataField<string>("text");
        await using (var fs = File.Create(dir["p.parquet"]))
        await using (var writer = await ParquetWriter.CreateAsync(new ParquetSchema(field), fs))
        using (var group = writer.CreateRowGroup())
            await group.WriteAsync(field, Enumerable.Range(0, 200).Select(i => $"headline number {i} about nothing at all").ToArray(), null);
        var bytes = File.ReadAllBytes(dir["p.parquet"]);
        for (int i = bytes.Length - 400; i < bytes.Length - 8; i++) bytes[i] ^= 0x5A;   // the footer (Thrift metadata) damaged
        File.WriteAllBytes(dir["p.parquet"], bytes);
        AssertOneLine(GptLabProcess.Run(dir.Path, "prepare", "p.parquet", "--out", "d"), "p.parquet");
        Assert.False(Directory.Exists(dir["d"]));
    }

    [Fact]
    public void A_constraint_that_gives_no_number_names_itself_and_the_values()
    {
        using var dir = new TempDir();
        string data = Tiny.CharDataset(dir, 8000);
        File.WriteAllText(dir["s.json"], $$"""
            { "data": "{{data}}", "fixed": { "max_iters": 2, "n_layer": 1, "block_size": 16 },
              "constraints": ["n_head = n_embd / (dropout * 0)"], "parameters": { "n_embd": [16, 32], "dropout": [0.0] } }
            """);
        AssertOneLine(GptLabProcess.Run(dir.Path, "sweep", "s.json", "--out", "sw", "--workers", "0"), "constraint 'n_head = n_embd / (dropout * 0)' gives Infinity for n_embd=16, dropout=0");
        Assert.False(Directory.Exists(dir["sw"]));
    }

    [Fact]
    public void A_number_flag_given_text_is_the_parsers_one_line()
    {
        using var dir = new TempDir();
        AssertOneLine(GptLabProcess.Run(dir.Path, "predict", "--run", "r", "--prompt", "x", "--top", "abc"), "Cannot parse argument 'abc' for option '--top'");
    }

    [Theory]
    [InlineData("/dev/stdin")]
    [InlineData("-")]
    public async Task Prepare_reads_a_pipe_and_standard_input(string source)
    {
        using var dir = new TempDir();
        string text = Tiny.ShakespeareText(5000);
        using var p = GptLabProcess.StartWithInput(dir.Path, ["prepare", source, "--out", "d"]);
        await p.StandardInput.WriteAsync(text);
        p.StandardInput.Close();
        var err = p.StandardError.ReadToEndAsync();
        _ = p.StandardOutput.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await p.WaitForExitAsync(cts.Token);
        Assert.True(p.ExitCode == 0, await err);
        using var ds = Dataset.Open(dir["d"]);
        Assert.Equal(text, ds.Tokenizer.Decode(ds.Train.ReadAll()) + ds.Tokenizer.Decode(ds.Val.ReadAll()));
    }
}
