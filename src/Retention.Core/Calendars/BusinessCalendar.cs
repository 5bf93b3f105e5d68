using Retention.Core.Time;

namespace Retention.Core.Calendars;

/// <summary>
/// Working time in one time zone: hours per weekday, public holidays, and the adjusted working days (a Saturday
/// worked to bridge a holiday) that calendars such as mainland China's use. SLA targets count in this time.
/// </summary>
public sealed class BusinessCalendar
{
    private const int MaxDays = 3660;

    private readonly IReadOnlyDictionary<DayOfWeek, IReadOnlyList<(TimeOnly Start, TimeOnly End)>> _hours;
    private readonly IReadOnlySet<DateOnly> _holidays;
    private readonly IReadOnlyDictionary<DateOnly, DayOfWeek> _workingDays;

    /// <param name="workingDays">Days worked although normally off, each with the weekday whose hours apply.</param>
    public BusinessCalendar(string id, TimeZoneInfo zone, IReadOnlyDictionary<DayOfWeek, IReadOnlyList<(TimeOnly Start, TimeOnly End)>> hours,
        IReadOnlySet<DateOnly> holidays, IReadOnlyDictionary<DateOnly, DayOfWeek> workingDays)
    {
        Id = id;
        Zone = zone;
        _hours = hours;
        _holidays = holidays;
        _workingDays = workingDays;
    }

    public string Id { get; }
    public TimeZoneInfo Zone { get; }

    public bool IsWorkingDay(DateOnly date) => _workingDays.ContainsKey(date) || (!_holidays.Contains(date) && _hours.ContainsKey(date.DayOfWeek));

    /// <summary>The working intervals of a local date, as instants (DST-safe).</summary>
    public IEnumerable<(DateTimeOffset Start, DateTimeOffset End)> Intervals(DateOnly date)
    {
        if (!IsWorkingDay(date))
        {
            yield break;
        }
        var weekday = _workingDays.TryGetValue(date, out var asDay) ? asDay : date.DayOfWeek;
        if (!_hours.TryGetValue(weekday, out var spans))
        {
            yield break;
        }
        foreach (var (start, end) in spans)
        {
            yield return (LocalClock.ToInstant(date.ToDateTime(start), Zone), LocalClock.ToInstant(date.ToDateTime(end), Zone));
        }
    }

    /// <summary>The instant at which <paramref name="businessTime"/> of working time has passed since <paramref name="from"/>.</summary>
    public DateTimeOffset Add(DateTimeOffset from, TimeSpan businessTime)
    {
        var remaining = businessTime;
        var date = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(from, Zone).DateTime);
        for (var day = 0; day < MaxDays; day++, date = date.AddDays(1))
        {
            foreach (var (start, end) in Intervals(date))
            {
                var begin = start > from ? start : from;
                if (begin >= end)
                {
                    continue;
                }
                if (end - begin >= remaining)
                {
                    return begin + remaining;
                }
                remaining -= end - begin;
            }
        }
        throw new InvalidOperationException($"Calendar {Id} has no working time within {MaxDays} days.");
    }

    /// <summary>The close of business on the <paramref name="days"/>th working day after the local date of <paramref name="from"/>: "within 2 business days".</summary>
    public DateTimeOffset EndOfWorkingDays(DateTimeOffset from, int days)
    {
        var date = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(from, Zone).DateTime);
        for (var day = 0; day < MaxDays; day++)
        {
            date = date.AddDays(1);
            if (Intervals(date).Select(i => i.End).DefaultIfEmpty().Max() is var close && close != default && --days <= 0)
            {
                return close;
            }
        }
        throw new InvalidOperationException($"Calendar {Id} has no working day within {MaxDays} days.");
    }

    /// <summary>Working time between two instants.</summary>
    public TimeSpan Between(DateTimeOffset from, DateTimeOffset to)
    {
        if (to <= from)
        {
            return TimeSpan.Zero;
        }
        var total = TimeSpan.Zero;
        var date = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(from, Zone).DateTime);
        var last = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(to, Zone).DateTime);
        for (var day = 0; date <= last && day < MaxDays; day++, date = date.AddDays(1))
        {
            foreach (var (start, end) in Intervals(date))
            {
                var begin = start > from ? start : from;
                var finish = end < to ? end : to;
                if (finish > begin)
                {
                    total += finish - begin;
                }
            }
        }
        return total;
    }
}
