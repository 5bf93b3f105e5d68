using Retention.Core.Calendars;

namespace Retention.Core.Tests;

public class BusinessCalendarAdd
{
    private static BusinessCalendar Load(string id) => Shipped.Calendar(id);

    private static readonly BusinessCalendar China = Load("cn-mainland");
    private static readonly TimeSpan Shanghai = TimeSpan.FromHours(8);

    private static DateTimeOffset Cst(int year, int month, int day, int hour, int minute = 0) => new(year, month, day, hour, minute, 0, Shanghai);

    [Fact]
    public void CarriesFourBusinessHoursFromFridayAfternoonIntoMonday()
    {
        Assert.Equal(Cst(2026, 3, 9, 11), China.Add(Cst(2026, 3, 6, 16), TimeSpan.FromHours(4)));
    }

    [Fact]
    public void SkipsTheSpringFestivalAndWorksTheAdjustedSaturdays()
    {
        // Friday 13 Feb 17:00 + 2 h: one hour on Friday, one on the adjusted working Saturday 14 Feb.
        Assert.Equal(Cst(2026, 2, 14, 10), China.Add(Cst(2026, 2, 13, 17), TimeSpan.FromHours(2)));
        // Saturday 14 Feb 17:00 + 2 h: the holiday runs to Monday 23 Feb, so work resumes Tuesday 24 Feb.
        Assert.Equal(Cst(2026, 2, 24, 10), China.Add(Cst(2026, 2, 14, 17), TimeSpan.FromHours(2)));
        Assert.True(China.IsWorkingDay(new DateOnly(2026, 2, 28)));
        Assert.False(China.IsWorkingDay(new DateOnly(2026, 10, 5)));
    }

    [Fact]
    public void StartsCountingAtTheNextOpeningWhenOutsideHours()
    {
        Assert.Equal(Cst(2026, 3, 10, 10), China.Add(Cst(2026, 3, 9, 22), TimeSpan.FromHours(1)));
    }

    [Fact]
    public void MeasuresWorkingTimeBetweenTwoInstants()
    {
        Assert.Equal(TimeSpan.FromHours(4), China.Between(Cst(2026, 3, 6, 16), Cst(2026, 3, 9, 11)));
        Assert.Equal(TimeSpan.Zero, China.Between(Cst(2026, 10, 1, 9), Cst(2026, 10, 7, 18)));
    }

    [Fact]
    public void KeepsLocalHoursAcrossDst()
    {
        var (calendar, _) = CalendarReader.Read("""
            { "id": "ny", "timeZone": "America/New_York", "workingHours": { "friday": ["09:00-17:00"], "monday": ["09:00-17:00"] } }
            """);
        var fridayFour = new DateTimeOffset(2026, 3, 6, 16, 0, 0, TimeSpan.FromHours(-5));
        Assert.Equal(new DateTimeOffset(2026, 3, 9, 10, 0, 0, TimeSpan.FromHours(-4)), calendar!.Add(fridayFour, TimeSpan.FromHours(2)));
    }

    [Fact]
    public void ReportsBadCalendarFilesWithPaths()
    {
        var (_, errors) = CalendarReader.Read("""{ "id": "x", "timeZone": "Mars/Base", "workingHours": { "funday": ["9-5"], "monday": ["18:00-09:00"] }, "holidays": [{ "date": "2026-13-01" }] }""");
        Assert.Equal(["/holidays/0/date", "/timeZone", "/workingHours/funday", "/workingHours/monday/0"], errors.Select(e => e.Path).Order());
    }
}

public class SlaClockTests
{
    private static readonly BusinessCalendar China = Shipped.Calendar("cn-mainland");
    private static DateTimeOffset Cst(int day, int hour) => new(2026, 3, day, hour, 0, 0, TimeSpan.FromHours(8));

    [Fact]
    public void PausesWhileWaitingOnTheCustomerAndResumesWhereItStopped()
    {
        var clock = SlaClock.StartAt(TimeSpan.FromHours(8), Cst(2, 9)); // Monday 09:00, an 8 business-hour target
        Assert.Equal(Cst(2, 17), clock.DueAt(Cst(2, 9), China));
        Assert.Equal(Cst(2, 15), clock.ReachesAt(0.75, Cst(2, 9), China)); // the warning point

        var paused = clock.Pause(Cst(2, 12), China); // pending_customer after 3 hours
        Assert.Null(paused.DueAt(Cst(3, 9), China));
        Assert.Equal(TimeSpan.FromHours(3), paused.Elapsed(Cst(4, 9), China));

        var resumed = paused.Resume(Cst(4, 10)); // in_progress on Wednesday 10:00: 5 hours left
        Assert.Equal(Cst(4, 15), resumed.DueAt(Cst(4, 10), China));
        Assert.False(resumed.IsBreached(Cst(4, 14), China));
        Assert.True(resumed.IsBreached(Cst(4, 15), China));
    }
}
