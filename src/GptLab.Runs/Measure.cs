namespace GptLab.Runs;

/// <summary>The small measurements benchmarks and run records share: medians and this process's memory.</summary>
internal static class Measure
{
    public static double Median(IReadOnlyCollection<double> xs)
    {
        var s = xs.Order().ToArray();
        return s.Length == 0 ? 0 : s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    /// <summary>Peak resident memory of this process (VmHWM), MiB.</summary>
    public static double PeakRssMb() => ReadStatusKb("VmHWM:") / 1024.0;

    /// <summary>Current resident memory of this process (VmRSS), MiB.</summary>
    public static double RssMb() => ReadStatusKb("VmRSS:") / 1024.0;

    private static long ReadStatusKb(string key)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith(key, StringComparison.Ordinal)) return long.Parse(line[key.Length..].Trim().Split(' ')[0]);
        }
        catch (IOException) { }
        return 0;
    }
}
