using System.Globalization;
using System.Text.RegularExpressions;

namespace Retention.Core.Time;

/// <summary>
/// An ISO 8601 duration such as <c>PT10S</c>, <c>P7D</c> or <c>P1Y</c>. Years, months, weeks and days are calendar
/// units applied in the customer's local time, so "7 days" keeps the time of day across a DST change; hours,
/// minutes and seconds are elapsed time.
/// </summary>
public readonly partial record struct JourneyDuration(int Years, int Months, int Days, TimeSpan Time)
{
    public static readonly JourneyDuration Zero = new(0, 0, 0, TimeSpan.Zero);

    public bool IsZero => Years == 0 && Months == 0 && Days == 0 && Time == TimeSpan.Zero;

    /// <summary>An upper bound of the length, for ordering and limits (a month counts 31 days).</summary>
    public TimeSpan Approximate => TimeSpan.FromDays((Years * 366.0) + (Months * 31.0) + Days) + Time;

    [GeneratedRegex(@"^P(?!$)(?:([0-9]{1,5})Y)?(?:([0-9]{1,5})M)?(?:([0-9]{1,5})W)?(?:([0-9]{1,6})D)?(?:T(?=[0-9])(?:([0-9]{1,7})H)?(?:([0-9]{1,9})M)?(?:([0-9]{1,10}(?:\.[0-9]{1,7})?)S)?)?$", RegexOptions.CultureInvariant)]
    private static partial Regex Iso8601();

    public static bool TryParse(string? text, out JourneyDuration duration)
    {
        duration = Zero;
        if (string.IsNullOrEmpty(text) || text.Length > 40)
        {
            return false;
        }
        var m = Iso8601().Match(text);
        if (!m.Success)
        {
            return false;
        }
        try
        {
            int Part(int i) => m.Groups[i].Success ? int.Parse(m.Groups[i].Value, CultureInfo.InvariantCulture) : 0;
            var seconds = m.Groups[7].Success ? double.Parse(m.Groups[7].Value, CultureInfo.InvariantCulture) : 0;
            var days = checked((Part(3) * 7) + Part(4));
            var time = TimeSpan.FromHours(Part(5)) + TimeSpan.FromMinutes(Part(6)) + TimeSpan.FromSeconds(seconds);
            duration = new JourneyDuration(Part(1), Part(2), days, time);
            return duration.Approximate <= TimeSpan.FromDays(366 * 10);
        }
        catch (Exception e) when (e is OverflowException or ArgumentOutOfRangeException or FormatException)
        {
            return false;
        }
    }

    public static JourneyDuration Parse(string text) =>
        TryParse(text, out var d) ? d : throw new FormatException($"'{text}' is not an ISO 8601 duration.");

    /// <summary>Adds the duration to an instant: calendar parts in <paramref name="zone"/>, then elapsed time.</summary>
    public DateTimeOffset AddTo(DateTimeOffset instant, TimeZoneInfo zone)
    {
        var result = instant;
        if (Years != 0 || Months != 0 || Days != 0)
        {
            var local = TimeZoneInfo.ConvertTime(instant, zone).DateTime;
            var shifted = local.AddYears(Years).AddMonths(Months).AddDays(Days);
            result = LocalClock.ToInstant(shifted, zone);
        }
        return result + Time;
    }

    public override string ToString()
    {
        var text = "P";
        if (Years != 0) text += $"{Years}Y";
        if (Months != 0) text += $"{Months}M";
        if (Days != 0) text += $"{Days}D";
        if (Time != TimeSpan.Zero)
        {
            text += "T";
            if (Time.Hours + (Time.Days * 24) != 0) text += $"{Time.Hours + (Time.Days * 24)}H";
            if (Time.Minutes != 0) text += $"{Time.Minutes}M";
            var seconds = Time.Seconds + (Time.Milliseconds / 1000.0);
            if (seconds != 0) text += string.Create(CultureInfo.InvariantCulture, $"{seconds}S");
        }
        return text == "P" ? "PT0S" : text;
    }
}
