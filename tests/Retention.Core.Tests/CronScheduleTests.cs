using Retention.Core.Scheduling;

namespace Retention.Core.Tests;

public class CronScheduleDueOccurrence
{
    private static readonly TimeZoneInfo Shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");
    private readonly CronSchedule _nightly = new("nightly", "0 2 * * *", Shanghai);

    [Fact]
    public void FindsTheOccurrenceDueNowInTheSchedulesZone()
    {
        var last = new DateTimeOffset(2026, 3, 1, 18, 0, 0, TimeSpan.Zero); // 02:00 CST 2 March
        Assert.Null(_nightly.DueOccurrence(last, last.AddHours(23), TimeSpan.FromDays(1)));
        Assert.Equal(last.AddDays(1), _nightly.DueOccurrence(last, last.AddDays(1).AddSeconds(5), TimeSpan.FromDays(1)));
    }

    [Fact]
    public void CollapsesOccurrencesMissedWhileDownIntoTheLatest()
    {
        var last = new DateTimeOffset(2026, 3, 1, 18, 0, 0, TimeSpan.Zero);
        Assert.Equal(last.AddDays(3), _nightly.DueOccurrence(last, last.AddDays(3).AddHours(5), TimeSpan.FromDays(1)));
    }

    [Fact]
    public void ANewScheduleOnlyLooksBackItsLookback()
    {
        var now = new DateTimeOffset(2026, 3, 2, 12, 0, 0, TimeSpan.Zero);
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 18, 0, 0, TimeSpan.Zero), _nightly.DueOccurrence(null, now, TimeSpan.FromDays(1)));
        Assert.Null(_nightly.DueOccurrence(null, now, TimeSpan.FromHours(1)));
    }
}
