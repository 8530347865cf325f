using GptLab.Data;
using GptLab.Training;

namespace GptLab.Tests.Training;

public class TensorBoardTests
{
    [Fact]
    public void Tensorboard_event_files_hold_scalars_and_samples()
    {
        using var dir = new TempDir();
        using var data = Dataset.Open(Tiny.CharDataset(dir));
        using (var t = new Trainer(Tiny.Config(data.Directory, 5), data, null))
            t.Run([new TensorBoardObserver(dir["tb"])]);
        var files = Directory.GetFiles(dir["tb"], "events.out.tfevents.*", SearchOption.AllDirectories);
        Assert.NotEmpty(files);
        string content = string.Concat(files.Select(f => System.Text.Encoding.Latin1.GetString(File.ReadAllBytes(f))));
        Assert.Contains("train/loss", content);
        Assert.Contains("eval/val_loss", content);
        Assert.Contains("samples", content);
    }
}
