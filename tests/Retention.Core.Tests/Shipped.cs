using Retention.Core.Calendars;

namespace Retention.Core.Tests;

/// <summary>The repository's shipped files, as tests read them: the calendars and journeys the host loads, the schemas.</summary>
internal static class Shipped
{
    /// <summary>The repository's root, from the test assembly's folder (<c>tests/&lt;project&gt;/bin/&lt;configuration&gt;/&lt;framework&gt;</c>).</summary>
    public static readonly string Root = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..");

    public static string[] JourneyFiles => Directory.GetFiles(Path.Combine(Root, "config", "journeys"), "*.json");

    /// <summary>A shipped business calendar (<c>config/calendars/&lt;id&gt;.json</c>), which must read without errors.</summary>
    public static BusinessCalendar Calendar(string id)
    {
        var (calendar, errors) = CalendarReader.Read(File.ReadAllText(Path.Combine(Root, "config", "calendars", $"{id}.json")));
        Assert.Empty(errors);
        return calendar!;
    }
}
