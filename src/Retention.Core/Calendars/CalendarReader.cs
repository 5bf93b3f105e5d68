using System.Globalization;
using System.Text.Json.Nodes;
using Retention.Core.Definitions;
using Retention.Core.Time;

namespace Retention.Core.Calendars;

/// <summary>
/// Reads a calendar file (<c>config/calendars/*.json</c>):
/// <c>{ "id", "timeZone", "workingHours": { "monday": ["09:00-12:00", "13:00-18:00"], … }, "holidays": [{ "date", "name" }],
/// "workingDays": [{ "date", "hoursOf": "monday", "name" }] }</c>, reporting every fault with its JSON Pointer.
/// </summary>
public static class CalendarReader
{
    public static (BusinessCalendar? Calendar, IReadOnlyList<DefinitionError> Errors) Read(string json)
    {
        var errors = new List<DefinitionError>();
        var root = StrictJson.ParseObject(json, out var malformed, "a calendar must be a JSON object");
        if (root is null)
        {
            return (null, [malformed!]);
        }
        var id = root["id"]?.GetValue<string>();
        if (string.IsNullOrEmpty(id))
        {
            errors.Add(new DefinitionError("/id", "is required"));
        }
        var zoneId = root["timeZone"]?.GetValue<string>() ?? "";
        if (!LocalClock.IsKnownZone(zoneId))
        {
            errors.Add(new DefinitionError("/timeZone", $"'{zoneId}' is not an IANA time zone"));
        }
        var hours = new Dictionary<DayOfWeek, IReadOnlyList<(TimeOnly, TimeOnly)>>();
        if (root["workingHours"] is JsonObject week)
        {
            foreach (var (day, spans) in week)
            {
                if (!Enum.TryParse<DayOfWeek>(day, ignoreCase: true, out var weekday))
                {
                    errors.Add(new DefinitionError($"/workingHours/{day}", "is not a weekday name"));
                    continue;
                }
                var list = new List<(TimeOnly, TimeOnly)>();
                var items = spans as JsonArray ?? [];
                for (var i = 0; i < items.Count; i++)
                {
                    if (ParseSpan(items[i]?.GetValue<string>()) is { } span)
                    {
                        list.Add(span);
                    }
                    else
                    {
                        errors.Add(new DefinitionError($"/workingHours/{day}/{i}", "must be a span such as 09:00-18:00"));
                    }
                }
                hours[weekday] = list.OrderBy(s => s.Item1).ToList();
            }
        }
        else
        {
            errors.Add(new DefinitionError("/workingHours", "is required"));
        }
        var holidays = new HashSet<DateOnly>();
        var holidayList = root["holidays"] as JsonArray ?? [];
        for (var i = 0; i < holidayList.Count; i++)
        {
            if (Date(holidayList[i]?["date"]) is { } date)
            {
                holidays.Add(date);
            }
            else
            {
                errors.Add(new DefinitionError($"/holidays/{i}/date", "must be a date as YYYY-MM-DD"));
            }
        }
        var workingDays = new Dictionary<DateOnly, DayOfWeek>();
        var workingList = root["workingDays"] as JsonArray ?? [];
        for (var i = 0; i < workingList.Count; i++)
        {
            var date = Date(workingList[i]?["date"]);
            var hoursOf = workingList[i]?["hoursOf"]?.GetValue<string>() ?? "monday";
            if (date is null)
            {
                errors.Add(new DefinitionError($"/workingDays/{i}/date", "must be a date as YYYY-MM-DD"));
            }
            else if (!Enum.TryParse<DayOfWeek>(hoursOf, ignoreCase: true, out var asDay))
            {
                errors.Add(new DefinitionError($"/workingDays/{i}/hoursOf", "is not a weekday name"));
            }
            else
            {
                workingDays[date.Value] = asDay;
            }
        }
        return errors.Count > 0
            ? (null, errors)
            : (new BusinessCalendar(id!, TimeZoneInfo.FindSystemTimeZoneById(zoneId), hours, holidays, workingDays), errors);
    }

    private static (TimeOnly, TimeOnly)? ParseSpan(string? text)
    {
        var parts = text?.Split('-');
        return parts is [var a, var b]
            && TimeOnly.TryParseExact(a.Trim(), "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var start)
            && TimeOnly.TryParseExact(b.Trim(), "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var end)
            && start < end
            ? (start, end)
            : null;
    }

    private static DateOnly? Date(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<string>(out var s) && DateOnly.TryParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d : null;
}
