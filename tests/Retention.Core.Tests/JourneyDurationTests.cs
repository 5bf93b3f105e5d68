using Retention.Core.Time;

namespace Retention.Core.Tests;

public class JourneyDurationParse
{
    [Theory]
    [InlineData("PT10S", 0, 0, 0, 10)]
    [InlineData("P7D", 0, 0, 7, 0)]
    [InlineData("P2W", 0, 0, 14, 0)]
    [InlineData("P1Y", 1, 0, 0, 0)]
    [InlineData("P1M2DT3H", 0, 1, 2, 10800)]
    public void ReadsIso8601(string text, int years, int months, int days, int seconds)
    {
        var d = JourneyDuration.Parse(text);
        Assert.Equal((years, months, days, TimeSpan.FromSeconds(seconds)), (d.Years, d.Months, d.Days, d.Time));
    }

    [Theory]
    [InlineData("P")]
    [InlineData("PT")]
    [InlineData("7d")]
    [InlineData("P-1D")]
    [InlineData("P11Y")]
    [InlineData("")]
    public void RejectsWhatIsNotADurationOfAtMostTenYears(string text) => Assert.False(JourneyDuration.TryParse(text, out _));

    [Fact]
    public void AddsDaysInLocalTimeSoTheTimeOfDaySurvivesDst()
    {
        var newYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
        var saturday10 = LocalClock.ToInstant(new DateTime(2026, 3, 7, 10, 0, 0), newYork); // DST starts 2026-03-08
        var next = JourneyDuration.Parse("P1D").AddTo(saturday10, newYork);
        Assert.Equal(new DateTime(2026, 3, 8, 10, 0, 0), TimeZoneInfo.ConvertTime(next, newYork).DateTime);
        Assert.Equal(TimeSpan.FromHours(23), next - saturday10);
    }

    [Fact]
    public void AddsHoursAsElapsedTime()
    {
        var newYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
        var start = LocalClock.ToInstant(new DateTime(2026, 3, 8, 0, 0, 0), newYork);
        Assert.Equal(TimeSpan.FromHours(24), JourneyDuration.Parse("PT24H").AddTo(start, newYork) - start);
    }
}

public class LocalClockToInstant
{
    private static readonly TimeZoneInfo NewYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");

    [Fact]
    public void MovesATimeInTheSpringGapForward()
    {
        var instant = LocalClock.ToInstant(new DateTime(2026, 3, 8, 2, 30, 0), NewYork);
        Assert.Equal(new DateTime(2026, 3, 8, 3, 30, 0), TimeZoneInfo.ConvertTime(instant, NewYork).DateTime);
    }

    [Fact]
    public void TakesTheFirstPassThroughARepeatedHour()
    {
        var instant = LocalClock.ToInstant(new DateTime(2026, 11, 1, 1, 30, 0), NewYork);
        Assert.Equal(TimeSpan.FromHours(-4), TimeZoneInfo.ConvertTime(instant, NewYork).Offset);
    }

    [Fact]
    public void FindsTheNextYearlyDateAndUses28FebruaryInYearsWithout29()
    {
        var shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");
        var now = new DateTimeOffset(2026, 1, 10, 0, 0, 0, TimeSpan.Zero);
        var next = LocalClock.NextYearly(now, shanghai, new DateOnly(2000, 2, 29), new TimeOnly(9, 0));
        Assert.Equal(new DateTime(2026, 2, 28, 9, 0, 0), TimeZoneInfo.ConvertTime(next, shanghai).DateTime);
        var leap = LocalClock.NextYearly(new DateTimeOffset(2027, 12, 1, 0, 0, 0, TimeSpan.Zero), shanghai, new DateOnly(2000, 2, 29), new TimeOnly(9, 0));
        Assert.Equal(new DateTime(2028, 2, 29, 9, 0, 0), TimeZoneInfo.ConvertTime(leap, shanghai).DateTime);
    }
}

public class JourneyDurationHostileInput
{
    [Theory]
    [InlineData("P١D")]
    [InlineData("PT300000000H")]
    [InlineData("P30000Y")]
    [InlineData("P99999999999999999999D")]
    public void IsRejectedWithoutThrowing(string text) => Assert.False(JourneyDuration.TryParse(text, out _));
}
