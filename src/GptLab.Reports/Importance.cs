using Microsoft.ML;
using Microsoft.ML.Data;

namespace GptLab.Reports;

/// <summary>
/// Which hyperparameters matter: a random forest (ML.NET FastForest) fitted from hyperparameters to a result, then
/// permutation importance — how much worse the forest predicts when one hyperparameter's column is shuffled
/// (increase in RMSE), normalised to sum to 1. As W&amp;B's and Optuna's importance panels.
/// </summary>
internal static class Importance
{
    private sealed class Row
    {
        public float Label { get; set; }
        public float[] Features { get; set; } = [];
    }

    /// <summary>Importance of each feature column for predicting <paramref name="label"/>; needs ≥ 4 rows.</summary>
    public static IReadOnlyList<(string Name, double Importance)> Compute(IReadOnlyList<string> names, IReadOnlyList<double[]> features, IReadOnlyList<double> label, int seed = 0)
    {
        if (features.Count < 4 || names.Count == 0) return names.Select(n => (n, double.NaN)).ToList();
        var ml = new MLContext(seed);
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, names.Count);
        var rows = features.Select((f, i) => new Row { Label = (float)label[i], Features = f.Select(x => (float)x).ToArray() }).ToList();
        var data = ml.Data.LoadFromEnumerable(rows, schema);
        var trainer = ml.Regression.Trainers.FastForest(new Microsoft.ML.Trainers.FastTree.FastForestRegressionTrainer.Options
        {
            NumberOfTrees = 200, NumberOfLeaves = Math.Max(2, Math.Min(16, features.Count / 2)), MinimumExampleCountPerLeaf = 1,
            FeatureFraction = 1.0, Seed = seed, NumberOfThreads = 1,
        });
        var model = trainer.Fit(data);
        var pfi = ml.Regression.PermutationFeatureImportance(model, data, permutationCount: 10);
        var raw = pfi.Select(p => Math.Max(0, p.RootMeanSquaredError.Mean)).ToArray();
        double sum = raw.Sum();
        return names.Select((n, i) => (n, sum > 0 ? raw[i] / sum : 0)).ToList();
    }
}
