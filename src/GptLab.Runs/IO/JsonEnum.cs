using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace GptLab.IO;

/// <summary>The names an enum has in GptLab's JSON files: <c>[JsonStringEnumMemberName]</c>, else snake_case.</summary>
internal static class JsonEnum
{
    public static IReadOnlyList<string> Names(Type enumType) =>
        enumType.GetFields(BindingFlags.Public | BindingFlags.Static).Select(Name).ToList();

    public static string Name<T>(T value) where T : struct, Enum =>
        Name(typeof(T).GetField(value.ToString())!);

    /// <summary>Parses a name; the error lists the allowed names.</summary>
    public static T Parse<T>(string text, string what) where T : struct, Enum
    {
        foreach (var f in typeof(T).GetFields(BindingFlags.Public | BindingFlags.Static))
            if (Name(f) == text) return (T)f.GetValue(null)!;
        throw new GptLabException($"{what} must be one of {string.Join(", ", Names(typeof(T)))}; got '{text}'");
    }

    private static string Name(FieldInfo f) =>
        f.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? JsonNamingPolicy.SnakeCaseLower.ConvertName(f.Name);
}
