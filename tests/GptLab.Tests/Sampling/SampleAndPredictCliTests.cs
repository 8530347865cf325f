using System.Text.Json;
using GptLab.Checkpoints;
using GptLab.Evaluation;

namespace GptLab.Tests.Sampling;

public class SampleAndPredictCliTests(TrainedRun trained) : IClassFixture<TrainedRun>
{
    private (int Exit, string Out, string Err) Gptlab(params string[] args) => GptLabProcess.Run(trained.Dir.Path, args);

    [Fact]
    public void Same_seed_prints_the_same_sample_and_writes_jsonl()
    {
        var a = Gptlab("sample", "--run", "runs/tiny", "--prompt", "ROMEO:", "--max-new-tokens", "30", "--seed", "9", "--output", "s.jsonl", "--threads", "1");
        var b = Gptlab("sample", "--run", "runs/tiny", "--prompt", "ROMEO:", "--max-new-tokens", "30", "--seed", "9", "--no-cache", "--threads", "1");
        Assert.True(a.Exit == 0, a.Err);
        Assert.Equal(a.Out, b.Out);
        Assert.StartsWith("ROMEO:", a.Out);
        var line = JsonDocument.Parse(File.ReadAllLines(trained.Dir["s.jsonl"]).Single()).RootElement;
        Assert.Equal(30, line.GetProperty("tokens").GetInt32());
        Assert.Equal(a.Out.TrimEnd('\n'), "ROMEO:" + line.GetProperty("completion").GetString());
    }

    [Fact]
    public void Several_samples_and_streaming_work()
    {
        var r = Gptlab("sample", "--run", "runs/tiny", "--num-samples", "3", "--max-new-tokens", "10", "--temperature", "0");
        Assert.True(r.Exit == 0, r.Err);
        Assert.Contains("sample 3", r.Out);
        var s = Gptlab("sample", "--run", "runs/tiny", "--prompt", "MENENIUS", "--max-new-tokens", "10", "--stream", "--top-p", "0.9");
        Assert.True(s.Exit == 0, s.Err);
        Assert.StartsWith("MENENIUS", s.Out);
    }

    [Fact]
    public void A_prompt_with_unknown_characters_is_one_clear_line()
    {
        var r = Gptlab("sample", "--run", "runs/tiny", "--prompt", "naïve €");
        Assert.NotEqual(0, r.Exit);
        Assert.Contains("'€'", r.Err);
        Assert.Single(r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Predict_prints_json_and_a_png_chart()
    {
        var r = Gptlab("predict", "--run", "runs/tiny", "--prompt", "To be or no", "--top", "5", "--json", "--chart", "p.png");
        Assert.True(r.Exit == 0, r.Err);
        var rows = JsonDocument.Parse(r.Out).RootElement;
        var top = rows[0].GetProperty("top");
        Assert.Equal(5, top.GetArrayLength());
        var probs = top.EnumerateArray().Select(t => t.GetProperty("probability").GetDouble()).ToArray();
        Assert.Equal(probs.OrderDescending(), probs);
        byte[] png = File.ReadAllBytes(trained.Dir["p.png"]);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
        Assert.Equal(900, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)));
    }

    [Fact]
    public void Every_position_reports_the_rank_of_the_real_next_token()
    {
        using var ck = CheckpointStore.Load(trained.Run.BestCheckpoint);
        var ids = ck.Tokenizer.Encode("First Citizen");
        var rows = NextTokenTable.Predict(ck.Model, ck.Tokenizer, ids, 65, allPositions: true);
        Assert.Equal(ids.Length, rows.Count);
        for (int i = 0; i < rows.Count - 1; i++)
        {
            var row = rows[i];
            Assert.Equal(ids[i + 1], row.Actual!.Id);
            Assert.Equal(row.ActualRank, 1 + row.Top.Count(t => t.Probability > row.Actual.Probability));
            Assert.InRange(row.Top.Sum(t => t.Probability), 0.999, 1.001);   // all 65 tokens
        }
        Assert.Null(rows[^1].Actual);
    }

    [Fact]
    public void Predict_shows_the_end_of_a_long_prompt_and_percentages_that_do_not_wrap()
    {
        string prompt = "Citizens: the END";   // longer than the tiny model's 16-token context
        var r = Gptlab("predict", "--run", "runs/tiny", "--prompt", prompt, "--top", "3", "--positions", "all");
        Assert.True(r.Exit == 0, r.Err);
        Assert.Contains("after \"itizens:␣the␣EN\"", r.Out);                        // the end of the context is shown whole
        Assert.Matches(@"\d+\.\d\d%", r.Out);                                  // 0.27% — no space before %
        Assert.DoesNotMatch(@"\d \%", r.Out);
    }

    [Fact]
    public void Presets_are_listed_and_printable_as_json()
    {
        var list = Gptlab("presets");
        Assert.True(list.Exit == 0, list.Err);
        Assert.Contains("shakespeare-char-cpu", list.Out);
        var one = Gptlab("presets", "shakespeare-char");
        Assert.Equal(6, JsonDocument.Parse(one.Out).RootElement.GetProperty("n_layer").GetInt32());
        Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, "configs", "shakespeare-char.json")));   // shipped beside the program
    }
}
