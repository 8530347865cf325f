using System.Text.Json.Nodes;

namespace GptLab.Inference;

/// <summary>Reads one JSON file of an exported model folder, with one-line errors for a missing or damaged file.</summary>
internal static class JsonFile
{
    public static JsonNode Read(string directory, string name, string hint = "")
    {
        string path = Path.Combine(directory, name);
        if (!File.Exists(path)) throw new InferenceException($"{directory} has no {name}{hint}");
        try { return JsonNode.Parse(File.ReadAllText(path)) ?? throw new InferenceException($"{path} is empty"); }
        catch (System.Text.Json.JsonException e) { throw new InferenceException($"{path} is not valid JSON ({e.Message.Split('\n')[0]})"); }
    }
}
