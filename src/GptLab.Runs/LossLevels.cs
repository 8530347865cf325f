namespace GptLab.Runs;

/// <summary>"The text a model writes at each loss level": from samples written at evaluations (by any number of runs),
/// the one nearest each of <c>levels</c> val NLLs evenly spaced from the worst to the best seen.</summary>
public static class LossLevels
{
    public static IReadOnlyList<(string Source, SampleRecord Sample)> Pick(IEnumerable<(string Source, SampleRecord Sample)> samples, int levels = 6)
    {
        var all = samples.Where(s => s.Sample.ValLoss is double v && double.IsFinite(v) && s.Sample.Text.Trim().Length > 0).ToList();
        if (all.Count == 0) return [];
        double hi = all.Max(s => s.Sample.ValLoss!.Value), lo = all.Min(s => s.Sample.ValLoss!.Value);
        var picked = new List<(string, SampleRecord)>();
        for (int i = 0; i < levels; i++)
        {
            double target = levels == 1 ? lo : hi - (hi - lo) * i / (levels - 1);
            var best = all.Where(s => !picked.Contains(s)).OrderBy(s => Math.Abs(s.Sample.ValLoss!.Value - target)).FirstOrDefault();
            if (best.Source is not null) picked.Add(best);
        }
        return [.. picked.DistinctBy(p => (p.Item1, p.Item2.Step)).OrderByDescending(p => p.Item2.ValLoss)];
    }
}
