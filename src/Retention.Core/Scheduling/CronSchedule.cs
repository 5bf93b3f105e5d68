using Cronos;

namespace Retention.Core.Scheduling;

/// <summary>A cron expression in a time zone (5 fields, or 6 with seconds). Occurrences follow local time across DST.</summary>
public sealed class CronSchedule
{
    private readonly CronExpression _expression;

    public CronSchedule(string name, string cron, TimeZoneInfo zone)
    {
        Name = name;
        Zone = zone;
        _expression = CronExpression.Parse(cron, cron.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries).Length == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);
    }

    public string Name { get; }
    public TimeZoneInfo Zone { get; }

    public DateTimeOffset? NextAfter(DateTimeOffset instant) => _expression.GetNextOccurrence(instant, Zone);

    /// <summary>
    /// The occurrence to run now, if any: the latest one due at or before <paramref name="now"/> and after
    /// <paramref name="lastRun"/>. Occurrences missed while the service was down collapse into this one run.
    /// Without a last run, only an occurrence within <paramref name="lookback"/> counts.
    /// </summary>
    public DateTimeOffset? DueOccurrence(DateTimeOffset? lastRun, DateTimeOffset now, TimeSpan lookback)
    {
        var from = lastRun ?? now - lookback;
        DateTimeOffset? latest = null;
        for (var next = NextAfter(from); next is { } at && at <= now; next = NextAfter(at))
        {
            latest = at;
        }
        return latest;
    }
}
