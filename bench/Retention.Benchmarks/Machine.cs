namespace Retention.Benchmarks;

/// <summary>What every benchmark prints beside its figures: how busy the machine was.</summary>
public static class Machine
{
    /// <summary>The 1, 5 and 15-minute load averages, or "n/a" where /proc/loadavg is missing.</summary>
    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}
