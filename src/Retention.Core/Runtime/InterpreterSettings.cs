using System.Text.Json.Nodes;
using Retention.Core.Definitions;

namespace Retention.Core.Runtime;

/// <param name="DefaultTimeZone">For customers with no (or an unknown) time zone.</param>
/// <param name="EventBufferWindow">How long an early event is kept for a wait that has not started yet.</param>
/// <param name="MaxStepsPerInput">A safety stop: no input may run more steps than this without waiting.</param>
public sealed record InterpreterSettings(
    TimeZoneInfo DefaultTimeZone,
    TimeSpan EventBufferWindow,
    int MaxStepsPerInput = 100,
    int SeenEventsKept = 100,
    int BufferedEventsKept = 50)
{
    public static InterpreterSettings Default { get; } = new(TimeZoneInfo.Utc, TimeSpan.FromDays(1));

    /// <summary>Business calendars by id, for business-time waits and SLA clocks.</summary>
    public IReadOnlyDictionary<string, Calendars.BusinessCalendar> Calendars { get; init; } = new Dictionary<string, Calendars.BusinessCalendar>();

    /// <summary>The calendar of each customer region; <see cref="DefaultCalendar"/> for the rest.</summary>
    public IReadOnlyDictionary<string, string> RegionCalendars { get; init; } = new Dictionary<string, string>();

    public string? DefaultCalendar { get; init; }

    /// <summary>Who holds each escalation role (supervisor, manager…) in each region.</summary>
    public StaffDirectory Staff { get; init; } = StaffDirectory.Empty;
}

/// <summary>Role holders by region, with defaults for regions not listed: a task for a role goes to that person.</summary>
public sealed record StaffDirectory(IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Regions, IReadOnlyDictionary<string, string> Default)
{
    public static StaffDirectory Empty { get; } = new(new Dictionary<string, IReadOnlyDictionary<string, string>>(), new Dictionary<string, string>());

    public string? Resolve(string? region, string role) =>
        region is not null && Regions.TryGetValue(region, out var roles) && roles.TryGetValue(role, out var holder) ? holder
        : Default.GetValueOrDefault(role);

    /// <summary>A published version's document: <c>{ "default": { role: staff id }, "regions": { region: { role: staff id } } }</c>.</summary>
    public string ToDocument() => new JsonObject
    {
        ["default"] = Roles(Default),
        ["regions"] = new JsonObject(Regions.Select(r => KeyValuePair.Create(r.Key, (JsonNode?)Roles(r.Value)))),
    }.ToJsonString();

    /// <summary>Reads and checks a version's document, reporting every fault with its JSON Pointer.</summary>
    public static (StaffDirectory? Directory, IReadOnlyList<DefinitionError> Errors) Read(string json)
    {
        var root = StrictJson.ParseObject(json, out var malformed);
        if (root is null)
        {
            return (null, [malformed!]);
        }
        var errors = new List<DefinitionError>();
        var fallback = ReadRoles(root["default"], "/default", errors);
        var regions = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        if (root["regions"] is JsonObject map)
        {
            foreach (var (region, roles) in map)
            {
                regions[region] = ReadRoles(roles, JsonPointer.Append("/regions", region), errors);
            }
        }
        else if (root["regions"] is not null)
        {
            errors.Add(new DefinitionError("/regions", "must map each region to its role holders"));
        }
        return errors.Count > 0 ? (null, errors) : (new StaffDirectory(regions, fallback), errors);
    }

    private static JsonObject Roles(IReadOnlyDictionary<string, string> roles) =>
        new(roles.Select(r => KeyValuePair.Create(r.Key, (JsonNode?)r.Value)));

    private static Dictionary<string, string> ReadRoles(JsonNode? node, string path, List<DefinitionError> errors)
    {
        var roles = new Dictionary<string, string>(StringComparer.Ordinal);
        if (node is null)
        {
            return roles;
        }
        if (node is not JsonObject map)
        {
            errors.Add(new DefinitionError(path, "must map each role to a staff id"));
            return roles;
        }
        foreach (var (role, holder) in map)
        {
            if (holder is JsonValue v && v.TryGetValue<string>(out var id) && id.Length > 0)
            {
                roles[role] = id;
            }
            else
            {
                errors.Add(new DefinitionError(JsonPointer.Append(path, role), "must be a staff id"));
            }
        }
        return roles;
    }
}

/// <summary>The interpreter's answer: the next state, the effects to carry out, and what to add to the history.</summary>
/// <param name="Changed">False when the input was stale or a duplicate: nothing to commit.</param>
public sealed record InterpretResult(
    JourneyInstanceState State,
    IReadOnlyList<JourneyCommand> Commands,
    IReadOnlyList<HistoryEntry> History,
    bool Changed,
    string? IgnoredReason = null);
