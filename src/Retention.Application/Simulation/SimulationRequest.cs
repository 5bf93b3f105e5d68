using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Retention.Core.Customers;
using Retention.Core.Definitions;
using Retention.Core.Events;
using Retention.Core.Ports;
using Retention.Core.Runtime;
using Retention.Core.Time;

namespace Retention.Application.Simulation;

/// <param name="At">An instant, or null when <paramref name="After"/> gives it relative to the start.</param>
public sealed record SimulationEventSpec(int Index, DateTimeOffset? At, JourneyDuration? After, string Type, JsonObject Data);

/// <summary>The body of <c>POST /api/journeys/{id}/simulate</c>, read and checked; the journey and a stored customer are resolved by the caller.</summary>
/// <param name="Source"><c>draft</c>, <c>active</c>, a version number, or null for the draft if any, else the active version.</param>
/// <param name="Definition">An unsaved definition to simulate instead.</param>
public sealed record SimulationRequest(
    string? Source,
    JsonNode? Definition,
    JsonObject? Customer,
    string? CustomerId,
    DateTimeOffset? Start,
    string? TriggerType,
    JsonObject? TriggerData,
    IReadOnlyList<SimulationEventSpec> Events,
    JourneyDuration Until)
{
    public const int MaxEvents = 500;
    public static readonly JourneyDuration DefaultUntil = new(0, 0, 400, TimeSpan.Zero);

    /// <summary>
    /// The instants a simulation may start at or be given events at: far enough from the ends of the calendar that the
    /// start plus <c>until</c> and every duration a journey may hold (each at most 10 years) stays a valid date.
    /// </summary>
    public static readonly DateTimeOffset EarliestInstant = new(1970, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static readonly DateTimeOffset LatestInstant = new(2199, 12, 31, 0, 0, 0, TimeSpan.Zero);

    private const string InstantRule = "must be an ISO 8601 instant such as 2026-03-02T09:00:00+08:00, from 1970 to 2199";

    /// <summary>Reads the body, reporting every fault with its JSON Pointer; null when there is any.</summary>
    public static SimulationRequest? Read(JsonNode? body, List<DefinitionError> errors)
    {
        if (body is not JsonObject obj)
        {
            errors.Add(new DefinitionError("", "the body must be a JSON object"));
            return null;
        }
        string[] known = ["source", "definition", "customer", "customerId", "start", "trigger", "events", "until"];
        foreach (var key in obj.Select(kv => kv.Key).Where(k => !known.Contains(k)))
        {
            errors.Add(new DefinitionError($"/{key}", $"unknown property; expected one of {string.Join(", ", known)}"));
        }
        var source = obj["source"] switch
        {
            null => null,
            JsonValue v when v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<int>(out var n) && n >= 1 => n.ToString(CultureInfo.InvariantCulture),
            JsonValue v when v.TryGetValue<string>(out var s) && (s is "draft" or "active" || (int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1)) => s,
            _ => Error<string>(errors, "/source", "must be \"draft\", \"active\" or a version number"),
        };
        var customerId = obj["customerId"] is null ? null : Text(obj["customerId"]) is { } id && EntryPolicy.CustomerIdPattern().IsMatch(id)
            ? id
            : Error<string>(errors, "/customerId", "must be 1-128 letters, digits or . _ @ : -");
        JsonObject? customer = null;
        if (obj["customer"] is { } customerNode)
        {
            customer = ReadCustomer(customerNode, customerId, errors);
        }
        else if (obj["customerId"] is null)
        {
            errors.Add(new DefinitionError("/customer", "is required: a customer profile, or customerId naming a stored customer"));
        }
        DateTimeOffset? start = null;
        if (obj["start"] is { } startNode)
        {
            start = Instant(startNode) ?? Error<DateTimeOffset?>(errors, "/start", InstantRule);
        }
        string? triggerType = null;
        JsonObject? triggerData = null;
        if (obj["trigger"] is { } triggerNode)
        {
            if (triggerNode is not JsonObject trigger || Text(trigger["type"]) is not { } type)
            {
                errors.Add(new DefinitionError("/trigger", "must be an object with a type and optional data"));
            }
            else
            {
                triggerType = type;
                triggerData = CheckEvent(type, trigger["data"], "/trigger", errors);
            }
        }
        var events = new List<SimulationEventSpec>();
        if (obj["events"] is { } eventsNode)
        {
            if (eventsNode is not JsonArray array || array.Count > MaxEvents)
            {
                errors.Add(new DefinitionError("/events", $"must be an array of at most {MaxEvents} events"));
            }
            else
            {
                for (var i = 0; i < array.Count; i++)
                {
                    if (ReadEvent(array[i], i, errors) is { } spec)
                    {
                        events.Add(spec);
                    }
                }
            }
        }
        var until = DefaultUntil;
        if (obj["until"] is { } untilNode && (!JourneyDuration.TryParse(Text(untilNode), out until) || until.IsZero))
        {
            errors.Add(new DefinitionError("/until", "must be an ISO 8601 duration such as P400D, at most 10 years"));
        }
        return errors.Count > 0 ? null : new SimulationRequest(source, obj["definition"], customer, customerId, start, triggerType, triggerData, events, until);
    }

    /// <summary>The events at their instants, in time order (the order given for equal instants), each at or after the start.</summary>
    public IReadOnlyList<SimulatedEvent> ResolveEvents(DateTimeOffset start, TimeZoneInfo zone, List<DefinitionError> errors)
    {
        var resolved = new List<SimulatedEvent>();
        foreach (var e in Events)
        {
            var at = e.At ?? e.After!.Value.AddTo(start, zone);
            if (at < start)
            {
                errors.Add(new DefinitionError($"/events/{e.Index}/at", $"is before the start {start:O}"));
                continue;
            }
            resolved.Add(new SimulatedEvent(at, e.Type, e.Data));
        }
        return [.. resolved.OrderBy(e => e.At)];
    }

    private static SimulationEventSpec? ReadEvent(JsonNode? node, int index, List<DefinitionError> errors)
    {
        var path = $"/events/{index}";
        if (node is not JsonObject obj)
        {
            errors.Add(new DefinitionError(path, "must be an object: { at | after, type, data }"));
            return null;
        }
        foreach (var key in obj.Select(kv => kv.Key).Where(k => k is not ("at" or "after" or "type" or "data")))
        {
            errors.Add(new DefinitionError($"{path}/{key}", "unknown property; expected at or after, type and data"));
        }
        DateTimeOffset? at = null;
        JourneyDuration? after = null;
        if (obj["at"] is { } atNode == obj["after"] is { })
        {
            errors.Add(new DefinitionError(path, "needs exactly one of at (an instant) and after (a duration from the start)"));
        }
        else if (obj["at"] is { } a)
        {
            at = Instant(a) ?? Error<DateTimeOffset?>(errors, $"{path}/at", InstantRule);
        }
        else if (JourneyDuration.TryParse(Text(obj["after"]), out var duration))
        {
            after = duration;
        }
        else
        {
            errors.Add(new DefinitionError($"{path}/after", "must be an ISO 8601 duration such as PT2H or P3D"));
        }
        if (Text(obj["type"]) is not { } type)
        {
            errors.Add(new DefinitionError($"{path}/type", "is required"));
            return null;
        }
        var data = CheckEvent(type, obj["data"], path, errors);
        return data is null || (at is null && after is null) ? null : new SimulationEventSpec(index, at, after, type, data);
    }

    /// <summary>Checks an event's type and data against the public event contract, as a webhook would be.</summary>
    private static JsonObject? CheckEvent(string type, JsonNode? dataNode, string path, List<DefinitionError> errors)
    {
        if (dataNode is not null and not JsonObject)
        {
            errors.Add(new DefinitionError($"{path}/data", "must be a JSON object"));
            return null;
        }
        var data = (JsonObject?)dataNode?.DeepClone() ?? [];
        data["customerId"] ??= "simulated-customer"; // the simulated customer's id is set when it runs
        var found = new List<DefinitionError>();
        CloudEventReader.Read(new JsonObject { ["specversion"] = "1.0", ["id"] = "simulation", ["source"] = "simulation", ["type"] = type, ["data"] = data }, "", found);
        errors.AddRange(found.Select(e => e with { Path = path + e.Path }));
        return found.Count == 0 ? data : null;
    }

    private static JsonObject? ReadCustomer(JsonNode node, string? customerId, List<DefinitionError> errors)
    {
        if (node is not JsonObject given)
        {
            errors.Add(new DefinitionError("/customer", "must be a customer profile object"));
            return null;
        }
        var before = errors.Count;
        foreach (var key in given.Select(kv => kv.Key).Where(k => !CustomerSnapshot.Fields.Contains(k)))
        {
            errors.Add(new DefinitionError($"/customer/{key}", $"unknown profile field; expected one of {string.Join(", ", CustomerSnapshot.Fields)}"));
        }
        foreach (var key in new[] { "status", "tier" }.Where(k => given[k] is not null && Text(given[k]) is null))
        {
            errors.Add(new DefinitionError($"/customer/{key}", "must be a string"));
        }
        if (given["tags"] is { } tags && (tags is not JsonArray list || list.Any(t => Text(t) is null)))
        {
            errors.Add(new DefinitionError("/customer/tags", "must be an array of strings"));
        }
        var profile = (JsonObject)given.DeepClone();
        profile["customerId"] ??= customerId ?? "simulated-customer";
        var data = (JsonObject)profile.DeepClone();
        data.Remove("status");
        data.Remove("tier");
        data.Remove("tags");
        var found = new List<DefinitionError>();
        CloudEventReader.Read(new JsonObject { ["specversion"] = "1.0", ["id"] = "simulation", ["source"] = "simulation", ["type"] = KnownEventTypes.CustomerUpserted, ["data"] = data }, "", found);
        errors.AddRange(found.Select(e => e with { Path = "/customer" + e.Path["/data".Length..] }));
        if (errors.Count > before)
        {
            return null;
        }
        profile["attributes"] ??= new JsonObject();
        profile["tags"] ??= new JsonArray();
        return profile;
    }

    private static DateTimeOffset? Instant(JsonNode? node) =>
        Text(node) is { } text && text.Contains('T', StringComparison.Ordinal)
        && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at)
        && at >= EarliestInstant && at <= LatestInstant ? at : null;

    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s : null;

    private static T? Error<T>(List<DefinitionError> errors, string path, string message)
    {
        errors.Add(new DefinitionError(path, message));
        return default;
    }
}
