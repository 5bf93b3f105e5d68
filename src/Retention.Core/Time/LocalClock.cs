namespace Retention.Core.Time;

/// <summary>Local-time arithmetic that is safe across DST: gaps move forward, repeated hours take the first.</summary>
public static class LocalClock
{
    public static TimeZoneInfo ResolveZone(string? ianaId, TimeZoneInfo fallback) =>
        ianaId is not null && TimeZoneInfo.TryFindSystemTimeZoneById(ianaId, out var zone) ? zone : fallback;

    public static bool IsKnownZone(string ianaId) => TimeZoneInfo.TryFindSystemTimeZoneById(ianaId, out _);

    /// <summary>The instant of a local wall-clock time.</summary>
    public static DateTimeOffset ToInstant(DateTime local, TimeZoneInfo zone)
    {
        local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        if (zone.IsInvalidTime(local))
        {
            // In a spring-forward gap: the wall clock jumps, so the same moment reads later.
            var before = zone.GetUtcOffset(local.AddHours(-3));
            var after = zone.GetUtcOffset(local.AddHours(3));
            local = local + (after - before);
        }
        var offset = zone.IsAmbiguousTime(local)
            ? zone.GetAmbiguousTimeOffsets(local).Max() // the first pass through a repeated hour
            : zone.GetUtcOffset(local);
        return new DateTimeOffset(local, offset).ToUniversalTime();
    }

    /// <summary>The next <paramref name="at"/> in the zone, <paramref name="daysLater"/> local days on; 0 means the next one.</summary>
    public static DateTimeOffset NextTimeOfDay(DateTimeOffset now, TimeZoneInfo zone, TimeOnly at, int daysLater)
    {
        var localNow = TimeZoneInfo.ConvertTime(now, zone).DateTime;
        var date = DateOnly.FromDateTime(localNow).AddDays(daysLater);
        var candidate = ToInstant(date.ToDateTime(at), zone);
        return daysLater == 0 && candidate <= now ? ToInstant(date.AddDays(1).ToDateTime(at), zone) : candidate;
    }

    /// <summary>
    /// The next yearly occurrence of a month and day at a local time, from now. A 29 February date falls on
    /// 28 February in years that have none.
    /// </summary>
    public static DateTimeOffset NextYearly(DateTimeOffset now, TimeZoneInfo zone, DateOnly date, TimeOnly at)
    {
        var localNow = TimeZoneInfo.ConvertTime(now, zone).DateTime;
        for (var year = localNow.Year; year <= localNow.Year + 1; year++)
        {
            var candidate = ToInstant(OnYear(date, year).ToDateTime(at), zone);
            if (candidate > now)
            {
                return candidate;
            }
        }
        return ToInstant(OnYear(date, localNow.Year + 2).ToDateTime(at), zone);
    }

    private static DateOnly OnYear(DateOnly date, int year) =>
        new(year, date.Month, Math.Min(date.Day, DateTime.DaysInMonth(year, date.Month)));
}
