using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace GptLab.IO;

/// <summary>The one set of JSON options for every file GptLab writes: snake_case keys, as nanoGPT names them.</summary>
internal static class Json
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>One-line JSON for .jsonl files.</summary>
    public static readonly JsonSerializerOptions Line = new(Options) { WriteIndented = false };

    public static void Write<T>(string path, T value)
    {
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(value, Options) + "\n");
    }

    public static T Read<T>(string path, string what)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(File.ReadAllText(path), Options)
                   ?? throw new GptLabException($"{path} is empty: {what}");
        }
        catch (JsonException e)
        {
            throw new GptLabException($"{path} is not valid JSON ({e.Message.Split('\n')[0]}): {what}");
        }
        catch (FileNotFoundException)
        {
            throw new GptLabException($"{path} not found: {what}");
        }
        catch (DirectoryNotFoundException)
        {
            throw new GptLabException($"{path} not found: {what}");
        }
    }
}
