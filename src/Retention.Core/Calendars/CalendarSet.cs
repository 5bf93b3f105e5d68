using System.Text.Json.Nodes;
using Retention.Core.Definitions;

namespace Retention.Core.Calendars;

/// <summary>
/// One version of the business calendars, as published: the calendars, the calendar of each customer region, and the
/// default for the rest. Its document is <c>{ "calendars": [ calendar… ], "regions": { region: id }, "default": id }</c>,
/// each calendar as in a calendar file (<see cref="CalendarReader"/>).
/// </summary>
public sealed record CalendarSet(IReadOnlyDictionary<string, BusinessCalendar> ById, IReadOnlyDictionary<string, string> Regions, string? Default)
{
    /// <summary>Reads and checks a version's document, reporting every fault with its JSON Pointer.</summary>
    public static (CalendarSet? Set, IReadOnlyList<DefinitionError> Errors) Read(string json)
    {
        var root = StrictJson.ParseObject(json, out var malformed);
        if (root is null)
        {
            return (null, [malformed!]);
        }
        var errors = new List<DefinitionError>();
        var byId = new Dictionary<string, BusinessCalendar>(StringComparer.Ordinal);
        if (root["calendars"] is not JsonArray calendars || calendars.Count == 0)
        {
            errors.Add(new DefinitionError("/calendars", "must list at least one calendar"));
        }
        else
        {
            for (var i = 0; i < calendars.Count; i++)
            {
                var (calendar, faults) = ReadCalendar(calendars[i]);
                var at = JsonPointer.Append("/calendars", i);
                errors.AddRange(faults.Select(f => f with { Path = at + f.Path }));
                if (calendar is not null && !byId.TryAdd(calendar.Id, calendar))
                {
                    errors.Add(new DefinitionError(at + "/id", $"'{calendar.Id}' is listed twice"));
                }
            }
        }
        var regions = new Dictionary<string, string>(StringComparer.Ordinal);
        if (root["regions"] is JsonObject map)
        {
            foreach (var (region, id) in map)
            {
                if (Text(id) is { } calendarId && byId.ContainsKey(calendarId))
                {
                    regions[region] = calendarId;
                }
                else
                {
                    errors.Add(new DefinitionError(JsonPointer.Append("/regions", region), $"must name one of the calendars listed ({string.Join(", ", byId.Keys.Order(StringComparer.Ordinal))})"));
                }
            }
        }
        else if (root["regions"] is not null)
        {
            errors.Add(new DefinitionError("/regions", "must map each region to a calendar id"));
        }
        var fallback = Text(root["default"]);
        if (fallback is null || !byId.ContainsKey(fallback))
        {
            errors.Add(new DefinitionError("/default", "must name one of the calendars listed"));
        }
        return errors.Count > 0 ? (null, errors) : (new CalendarSet(byId, regions, fallback), errors);
    }

    /// <summary>The document of a version made of calendar files' texts, the region map and the default.</summary>
    public static string Document(IEnumerable<string> calendarFiles, IReadOnlyDictionary<string, string> regions, string? fallback) => new JsonObject
    {
        ["calendars"] = new JsonArray([.. calendarFiles.Select(text => JsonNode.Parse(text))]),
        ["regions"] = new JsonObject(regions.Select(r => KeyValuePair.Create(r.Key, (JsonNode?)r.Value))),
        ["default"] = fallback,
    }.ToJsonString();

    private static (BusinessCalendar?, IReadOnlyList<DefinitionError>) ReadCalendar(JsonNode? node)
    {
        try
        {
            return node is JsonObject ? CalendarReader.Read(node.ToJsonString()) : (null, [new DefinitionError("", "must be a calendar object")]);
        }
        catch (InvalidOperationException)
        {
            return (null, [new DefinitionError("", "holds a value of the wrong type (ids, time zones, spans and dates are strings)")]);
        }
    }

    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var text) && text.Length > 0 ? text : null;
}
