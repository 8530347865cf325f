using System.Text.Json;
using System.Text.Json.Nodes;
using GptLab.Runs;

namespace GptLab.Server;

/// <summary>A row of the runs table: the run's summary and its config (null when unreadable).</summary>
internal sealed record RunListing(RunSummary Summary, JsonObject? Config)
{
    /// <summary>The summary's fields with the config beside them, as one flat JSON object.</summary>
    public JsonObject ToJson()
    {
        var node = JsonSerializer.SerializeToNode(Summary, WebJson.Options)!.AsObject();
        node["config"] = Config?.DeepClone();
        return node;
    }
}
