using System.Text;
using GptLab.IO;
using GptLab.Runs;

namespace GptLab.Tests.Runs;

public class JsonLinesTests
{
    [Fact]
    public void A_live_reader_takes_each_line_once_and_waits_for_one_still_being_written()
    {
        using var dir = new TempDir();
        string path = dir["metrics.jsonl"];
        File.WriteAllText(path, "{\"step\":1}\n{\"step\":2}\n{\"step\":");           // the writer is mid-line
        var first = JsonLines.Read<MetricRecord>(path, 0);
        Assert.Equal([1, 2], first.Items.Select(m => m.Step));
        Assert.Equal(Encoding.UTF8.GetByteCount("{\"step\":1}\n{\"step\":2}\n"), first.Offset);   // the cursor waits at the cut line

        File.AppendAllText(path, "3}\n{\"step\":4}\n");
        var second = JsonLines.Read<MetricRecord>(path, first.Offset);
        Assert.Equal([3, 4], second.Items.Select(m => m.Step));
        Assert.False(second.Reset);
        Assert.Empty(JsonLines.Read<MetricRecord>(path, second.Offset).Items);

        File.WriteAllText(path, "{\"step\":1}\n");                                       // a resume rewrote the file
        var third = JsonLines.Read<MetricRecord>(path, second.Offset);
        Assert.True(third.Reset);
        Assert.Equal([1], third.Items.Select(m => m.Step));
    }

    [Fact]
    public void A_whole_file_reader_skips_damaged_lines_and_takes_a_complete_last_line_without_newline()
    {
        using var dir = new TempDir();
        var run = new RunDirectory(dir.Path);
        File.WriteAllText(run.MetricsPath, "{\"step\":1}\n{\"step\":2,\"lo\n\n{\"step\":3}");   // a crash cut line 2; line 3 hand-written
        Assert.Equal([1, 3], run.ReadMetrics().Select(m => m.Step));
        var live = JsonLines.Read<MetricRecord>(run.MetricsPath, 0);
        Assert.Equal([1, 3], live.Items.Select(m => m.Step));
        Assert.Equal(new FileInfo(run.MetricsPath).Length, live.Offset);
        Assert.Empty(new RunDirectory(dir["missing"]).ReadSamples());
    }
}
