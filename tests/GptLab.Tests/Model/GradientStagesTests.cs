using GptLab.Model;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace GptLab.Tests.Model;

/// <summary>The marks data parallelism uses to send gradients while backward runs (ddp_overlap).</summary>
public class GradientStagesTests
{
    private static (List<int> Reported, List<(int Stage, Tensor Grad)> AtReport, List<Tensor> Final) Backward(bool tied, int microBatches, bool listen)
    {
        random.manual_seed(7);
        var model = new Gpt(new GptConfig { VocabSize = 32, BlockSize = 8, NLayer = 3, NHead = 2, NEmbd = 16, Bias = true, TieEmbeddings = tied });
        model.train();
        var stages = model.GradientStages();
        var reported = new List<int>();
        var atReport = new List<(int, Tensor)>();
        for (int m = 0; m < microBatches; m++)
        {
            if (listen && m == microBatches - 1)
                model.OnGradientsReady = s =>
                {
                    reported.Add(s);
                    foreach (var p in stages[s]) atReport.Add((s, p.grad is null ? empty(0) : p.grad.clone().DetachFromDisposeScope()));
                };
            var x = randint(0, 32, [2, 8]);
            var logits = model.forward(x);
            F.cross_entropy(logits.view(-1, 32), randint(0, 32, [16])).backward();
            model.OnGradientsReady = null;
        }
        var final = model.parameters().Select(p => p.grad!.clone().DetachFromDisposeScope()).ToList();
        return (reported, atReport, final);
    }

    [Theory]
    [InlineData(true, 1)]    // the head tied to wte, one micro-batch
    [InlineData(false, 2)]   // its own lm_head, the gradients accumulated over two micro-batches
    public void Backward_reports_each_stage_once_its_gradients_are_final_and_changes_no_gradient(bool tied, int microBatches)
    {
        using var model = new Gpt(new GptConfig { VocabSize = 32, BlockSize = 8, NLayer = 3, NHead = 2, NEmbd = 16, Bias = true, TieEmbeddings = tied });
        var stages = model.GradientStages();
        Assert.Equal(model.parameters().Select(p => p.Handle).Order(), stages.SelectMany(s => s).Select(p => p.Handle).Order());   // every parameter in exactly one stage
        Assert.Equal(tied ? 2 : 3, stages[0].Count);                                                  // ln_f (weight, bias), and lm_head when untied
        Assert.All(stages.Skip(1).Take(3), s => Assert.Equal(stages[1].Count, s.Count));              // the blocks, top first

        var (reported, atReport, final) = Backward(tied, microBatches, listen: true);
        Assert.Equal([0, 1, 2, 3], reported);                 // ln_f, then blocks 2, 1, 0, each once; the embeddings are final only at the end
        var index = model.named_parameters().Select((p, i) => (p.parameter.Handle, i)).ToDictionary(x => x.Handle, x => x.i);
        var byStage = stages.SelectMany((s, si) => s.Select(p => (Stage: si, Index: index[p.Handle]))).Where(x => x.Stage < 4).ToList();
        Assert.Equal(byStage.Count, atReport.Count);
        for (int i = 0; i < atReport.Count; i++)
        {
            Assert.Equal(byStage[i].Stage, atReport[i].Stage);
            Assert.True(atReport[i].Grad.allclose(final[byStage[i].Index], rtol: 0, atol: 0), $"stage {atReport[i].Stage}: a gradient changed after its stage was reported");
        }
        var (_, _, unmarked) = Backward(tied, microBatches, listen: false);
        for (int i = 0; i < final.Count; i++) Assert.True(final[i].allclose(unmarked[i], rtol: 0, atol: 0), $"parameter {i}: the marks changed its gradient");
    }
}
