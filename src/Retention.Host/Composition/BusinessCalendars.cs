using Retention.Core.Calendars;

namespace Retention.Host.Composition;

/// <summary>The business calendars of the calendars folder, loaded once at start; a bad file stops the start and says where.</summary>
/// <param name="documents">Each calendar file's text, which instances pin (see <see cref="Journeys.PinnedCalendars"/>).</param>
public sealed class BusinessCalendars(IReadOnlyDictionary<string, BusinessCalendar> byId, IReadOnlyList<string> documents)
{
    public IReadOnlyDictionary<string, BusinessCalendar> ById { get; } = byId;

    public IReadOnlyList<string> Documents { get; } = documents;

    public static BusinessCalendars Load(CalendarOptions options)
    {
        var folder = options.ResolvePath();
        var calendars = new Dictionary<string, BusinessCalendar>(StringComparer.Ordinal);
        var documents = new List<string>();
        foreach (var file in Directory.Exists(folder) ? Directory.EnumerateFiles(folder, "*.json").Order(StringComparer.Ordinal).ToList() : [])
        {
            var text = File.ReadAllText(file);
            var (calendar, errors) = CalendarReader.Read(text);
            if (calendar is null)
            {
                throw new InvalidOperationException($"Calendar file {file} is invalid: " + string.Join("; ", errors.Select(e => $"{e.Path} {e.Message}")));
            }
            calendars[calendar.Id] = calendar;
            documents.Add(text);
        }
        foreach (var id in options.Regions.Values.Append(options.Default).Where(id => !calendars.ContainsKey(id)))
        {
            throw new InvalidOperationException($"Business calendar '{id}' is configured (Retention:Calendars) but not in {folder}.");
        }
        return new BusinessCalendars(calendars, documents);
    }
}
