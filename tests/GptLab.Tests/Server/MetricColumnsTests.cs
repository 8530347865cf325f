using System.Text.Json.Nodes;
using GptLab.Server;

namespace GptLab.Tests.Server;

public class MetricColumnsTests
{
    [Fact]
    public void Lines_become_columns_with_nulls_for_missing_or_non_finite_values_and_damaged_lines_are_skipped()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["m.jsonl"],
            "{\"kind\":\"train\",\"step\":1,\"loss\":4.25,\"time\":\"2026-12-05T00:00:00Z\"}\n" +
            "{\"kind\":\"train\",\"step\":2,\"loss\":\"NaN\"}\n" +
            "{\"kind\":\"tra\n" +                                             // a line a crash cut short
            "{\"kind\":\"eval\",\"step\":2,\"val_nll\":3.5e0}\n" +
            "{\"kind\":\"train\",\"step\":3,\"lo");                           // still being written
        var json = JsonNode.Parse(MetricColumns.Read(dir["m.jsonl"]))!;
        Assert.Equal(3, (int)json["count"]!);
        var c = json["columns"]!;
        Assert.Equal(["train", "train", "eval"], c["kind"]!.AsArray().Select(v => (string)v!));
        Assert.Equal([1.0, 2.0, 2.0], c["step"]!.AsArray().Select(v => (double)v!));
        Assert.Equal("[4.25,null,null]", c["loss"]!.ToJsonString());
        Assert.Equal("[null,null,3.5e0]", c["val_nll"]!.ToJsonString());   // numbers copied as written
        Assert.Null(c["time"]);
        // the offset stops before the line being written, so the live stream picks it up whole
        Assert.Equal(new FileInfo(dir["m.jsonl"]).Length - "{\"kind\":\"train\",\"step\":3,\"lo".Length, (long)json["offset"]!);
    }

    [Fact]
    public void A_long_run_is_sent_as_the_envelope_of_its_slices_with_every_evaluation()
    {
        using var dir = new TempDir();
        var lines = new System.Text.StringBuilder();
        for (int s = 1; s <= 1000; s++)
        {
            lines.Append($"{{\"kind\":\"train\",\"step\":{s},\"loss\":{(s == 500 ? 99 : 1)}}}\n");
            if (s % 100 == 0) lines.Append($"{{\"kind\":\"eval\",\"step\":{s},\"val_nll\":2}}\n");
        }
        File.WriteAllText(dir["m.jsonl"], lines.ToString());
        var json = JsonNode.Parse(MetricColumns.Read(dir["m.jsonl"], envelope: 20))!;
        Assert.Equal(1010, (int)json["lines"]!);
        int count = (int)json["count"]!;
        Assert.InRange(count, 10 + 20, 10 + 20 * 4);   // every evaluation, 1–4 training lines per slice
        var kinds = json["columns"]!["kind"]!.AsArray().Select(v => (string)v!).ToList();
        Assert.Equal(10, kinds.Count(k => k == "eval"));
        Assert.Contains(99.0, json["columns"]!["loss"]!.AsArray().Where(v => v is not null).Select(v => (double)v!));   // the spike
        Assert.Equal(1010, (int)JsonNode.Parse(MetricColumns.Read(dir["m.jsonl"]))!["count"]!);   // no envelope: all
    }
}
