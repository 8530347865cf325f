using System.CommandLine;
using System.Numerics;

namespace GptLab.Cli;

/// <summary>Ranges for numeric flags, checked while parsing (before any work): the error names the flag and the range.</summary>
internal static class OptionRanges
{
    public static Option<T> AtLeast<T>(this Option<T> o, T min) where T : struct, INumber<T>
    {
        o.Validators.Add(r =>
        {
            if (Value<T>(r) is T v && !(v >= min)) r.AddError($"{o.Name} must be ≥ {min}, got {v}");
        });
        return o;
    }

    public static Option<T?> AtLeast<T>(this Option<T?> o, T min) where T : struct, INumber<T>
    {
        o.Validators.Add(r =>
        {
            if (Value<T?>(r) is T v && !(v >= min)) r.AddError($"{o.Name} must be ≥ {min}, got {v}");
        });
        return o;
    }

    /// <summary>The option's value, or null when its text is not a number (the parser reports that error itself:
    /// "Cannot parse argument 'abc' for option '--top'").</summary>
    private static object? Value<T>(System.CommandLine.Parsing.OptionResult r)
    {
        try { return r.GetValueOrDefault<T>(); }
        catch (InvalidOperationException) { return null; }
    }

    /// <summary>min &lt; value ≤ max.</summary>
    public static Option<T> Above<T>(this Option<T> o, T min, T max) where T : struct, INumber<T>
    {
        o.Validators.Add(r =>
        {
            if (Value<T>(r) is T v && !(v > min && v <= max)) r.AddError($"{o.Name} must be in ({min}, {max}], got {v}");
        });
        return o;
    }

    /// <summary>min ≤ value ≤ max.</summary>
    public static Option<T> Between<T>(this Option<T> o, T min, T max) where T : struct, INumber<T>
    {
        o.Validators.Add(r =>
        {
            if (Value<T>(r) is T v && !(v >= min && v <= max)) r.AddError($"{o.Name} must be between {min} and {max}, got {v}");
        });
        return o;
    }
}
