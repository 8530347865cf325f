using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace GptLab.IO;

/// <summary>
/// Reads a JSON object into a typed record with errors a user can act on: an unknown key lists the allowed keys, a
/// choice (an enum) lists its allowed values, a value of the wrong type names its key.
/// </summary>
internal static class JsonRecord
{
    private static readonly JsonSerializerOptions Strict = new(Json.Options)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>The snake_case keys of a record's settable properties.</summary>
    public static IReadOnlyList<string> Keys(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite)
            .Select(p => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name)).ToList();

    /// <summary>Every enum-typed key present in <paramref name="node"/> must hold one of its names.</summary>
    public static void CheckChoices(JsonObject node, Type type, string what)
    {
        foreach (var p in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var enumType = Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType;
            if (!enumType.IsEnum) continue;
            string key = JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name);
            if (!node.TryGetPropertyValue(key, out var value)) continue;
            var allowed = JsonEnum.Names(enumType);
            string? text = value is JsonValue v && v.TryGetValue(out string? s) ? s : null;
            if (text is null || !allowed.Contains(text))
                throw new GptLabException($"{what} key '{key}' must be one of {string.Join(", ", allowed)}; got {value?.ToJsonString() ?? "null"}");
        }
    }

    public static T Read<T>(JsonObject node, string what)
    {
        var keys = Keys(typeof(T));
        foreach (var (key, _) in node)
            if (!keys.Contains(key)) throw new GptLabException($"{what}: unknown key '{key}' (allowed: {string.Join(", ", keys)})");
        CheckChoices(node, typeof(T), what);
        try
        {
            return node.Deserialize<T>(Strict) ?? throw new GptLabException($"{what} is empty");
        }
        catch (JsonException e)
        {
            string key = e.Path?.TrimStart('$', '.') ?? "?";
            throw new GptLabException($"{what} key '{key}' has a value of the wrong type");
        }
    }
}
