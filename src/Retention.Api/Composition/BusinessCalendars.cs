using Retention.Core.Calendars;

namespace Retention.Api.Composition;

/// <summary>The business calendars of the calendars folder, loaded once at start; a bad file stops the start and says where.</summary>
public sealed class BusinessCalendars(IReadOnlyDictionary<string, BusinessCalendar> byId)
{
    public IReadOnlyDictionary<string, BusinessCalendar> ById { get; } = byId;

    public static BusinessCalendars Load(CalendarOptions options)
    {
        var folder = options.ResolvePath();
        var calendars = new Dictionary<string, BusinessCalendar>(StringComparer.Ordinal);
        foreach (var file in Directory.Exists(folder) ? Directory.EnumerateFiles(folder, "*.json").Order(StringComparer.Ordinal).ToList() : [])
        {
            var (calendar, errors) = CalendarReader.Read(File.ReadAllText(file));
            if (calendar is null)
            {
                throw new InvalidOperationException($"Calendar file {file} is invalid: " + string.Join("; ", errors.Select(e => $"{e.Path} {e.Message}")));
            }
            calendars[calendar.Id] = calendar;
        }
        foreach (var id in options.Regions.Values.Append(options.Default).Where(id => !calendars.ContainsKey(id)))
        {
            throw new InvalidOperationException($"Business calendar '{id}' is configured (Retention:Calendars) but not in {folder}.");
        }
        return new BusinessCalendars(calendars);
    }
}
