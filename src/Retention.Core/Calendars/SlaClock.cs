namespace Retention.Core.Calendars;

/// <summary>
/// A target measured in business time that can pause (while waiting on the customer) and resume where it stopped.
/// Immutable: every change returns the next clock, so it can live in journey state and replay deterministically.
/// </summary>
public sealed record SlaClock(TimeSpan Target, TimeSpan ElapsedBeforeRun, DateTimeOffset? RunningSince)
{
    public static SlaClock StartAt(TimeSpan target, DateTimeOffset now) => new(target, TimeSpan.Zero, now);

    public bool IsRunning => RunningSince is not null;

    public TimeSpan Elapsed(DateTimeOffset now, BusinessCalendar calendar) =>
        ElapsedBeforeRun + (RunningSince is { } since ? calendar.Between(since, now) : TimeSpan.Zero);

    public SlaClock Pause(DateTimeOffset now, BusinessCalendar calendar) =>
        IsRunning ? this with { ElapsedBeforeRun = Elapsed(now, calendar), RunningSince = null } : this;

    public SlaClock Resume(DateTimeOffset now) => IsRunning ? this : this with { RunningSince = now };

    /// <summary>When the share <paramref name="fraction"/> of the target is reached if the clock keeps running; null when paused.</summary>
    public DateTimeOffset? ReachesAt(double fraction, DateTimeOffset now, BusinessCalendar calendar)
    {
        if (RunningSince is null)
        {
            return null;
        }
        var left = TimeSpan.FromTicks((long)(Target.Ticks * fraction)) - Elapsed(now, calendar);
        return left <= TimeSpan.Zero ? now : calendar.Add(now, left);
    }

    public DateTimeOffset? DueAt(DateTimeOffset now, BusinessCalendar calendar) => ReachesAt(1.0, now, calendar);

    public bool IsBreached(DateTimeOffset now, BusinessCalendar calendar) => Elapsed(now, calendar) >= Target;
}
