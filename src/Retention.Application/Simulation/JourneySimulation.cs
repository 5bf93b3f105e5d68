using System.Globalization;
using System.Text.Json.Nodes;
using Retention.Core.Contact;
using Retention.Core.Definitions;
using Retention.Core.Ports;
using Retention.Core.Runtime;
using Retention.Core.Time;

namespace Retention.Application.Simulation;

/// <summary>What a simulation request came to.</summary>
public abstract record SimulationOutcome;

public sealed record Simulated(SimulationResult Result) : SimulationOutcome;

/// <summary>The request or the definition it names is not valid; nothing ran.</summary>
public sealed record SimulationRefused(IReadOnlyList<DefinitionError> Errors, string Title) : SimulationOutcome;

/// <summary>The journey, version, draft or customer the request names does not exist.</summary>
public sealed record SimulationNotFound(string Detail) : SimulationOutcome;

/// <summary>
/// The simulation use case (<c>POST /api/journeys/{id}/simulate</c>): reads the request, finds the definition it names
/// (unsaved, the draft, the active or a given version) and the customer (given, or the stored profile with its recent
/// contacts), and runs the journey under virtual time with production's decisions. Never sends.
/// </summary>
public sealed class JourneySimulation(
    IJourneyVersions catalog, IJourneyDrafts drafts, JourneyDefinitionReader reader, ICustomerProfiles profiles,
    JourneySimulator simulator, JourneyInterpreter interpreter, ContactPolicy policy, IContactLedger contacts, TimeProvider time)
{
    private const string RequestNotValid = "The simulation request is not valid";

    public async Task<SimulationOutcome> SimulateAsync(string id, string json, CancellationToken cancellationToken)
    {
        var errors = new List<DefinitionError>();
        var body = StrictJson.Parse(json, out var malformed);
        if (malformed is not null)
        {
            return new SimulationRefused([malformed], RequestNotValid);
        }
        var parsed = SimulationRequest.Read(body, errors);
        if (parsed is null)
        {
            return new SimulationRefused(errors, RequestNotValid);
        }
        var head = catalog.Heads.FirstOrDefault(h => h.JourneyId == id);
        var next = (head?.LatestVersion ?? 0) + 1;
        JourneyDefinition journey;
        JsonNode version;
        if (parsed.Definition is { } unsaved)
        {
            var read = reader.ReadUnsaved(unsaved, id, "/definition");
            if (!read.IsValid)
            {
                return new SimulationRefused(read.Errors, "The journey definition is not valid");
            }
            (journey, version) = (read.Definition! with { Version = next }, "draft");
        }
        else
        {
            var source = parsed.Source ?? (await drafts.GetAsync(id, cancellationToken) is not null ? "draft" : "active");
            if (source == "draft")
            {
                if (await drafts.GetAsync(id, cancellationToken) is not { } draft || reader.Read(draft.Json).Definition is not { } definition)
                {
                    return new SimulationNotFound($"Journey {id} has no draft.");
                }
                (journey, version) = (definition with { Version = next }, "draft");
            }
            else
            {
                var number = source == "active" ? head?.LatestVersion : int.Parse(source, CultureInfo.InvariantCulture);
                if (number is not { } n || await catalog.GetAsync(id, n, cancellationToken) is not { } stored)
                {
                    return new SimulationNotFound(number is null ? $"No published journey {id}." : $"Journey {id} has no version {number}.");
                }
                (journey, version) = (stored, n);
            }
        }
        var customer = parsed.Customer;
        if (customer is null)
        {
            customer = await profiles.GetAsync(parsed.CustomerId!, cancellationToken);
            if (customer is null)
            {
                return new SimulationNotFound($"No customer {parsed.CustomerId}.");
            }
            customer["customerId"] = parsed.CustomerId;
        }
        var start = parsed.Start ?? time.GetUtcNow();
        var zone = LocalClock.ResolveZone(customer["timeZone"]?.GetValue<string>(), interpreter.Settings.DefaultTimeZone);
        var events = parsed.ResolveEvents(start, zone, errors);
        if (errors.Count > 0)
        {
            return new SimulationRefused(errors, RequestNotValid);
        }
        var (triggerType, triggerData) = parsed.TriggerType is { } type ? (type, parsed.TriggerData ?? []) : DefaultTrigger(journey, start);
        var recent = new Dictionary<string, IReadOnlyList<RecentContact>>();
        if (customer["customerId"]?.GetValue<string>() is { } customerId)
        {
            foreach (var category in Enum.GetValues<MessageCategory>().Where(c => policy.CapFor(c) is not null).Select(ContactPolicy.Name))
            {
                recent[category] = await contacts.RecentAsync(customerId, category, cancellationToken);
            }
        }
        return new Simulated(simulator.Run(new SimulationInput(journey, version, customer, start, triggerType, triggerData, events, parsed.Until.AddTo(start, zone), recent)));
    }


    /// <summary>The journey's own trigger, with its entry key filled in, so a bare request enters it.</summary>
    private static (string Type, JsonObject Data) DefaultTrigger(JourneyDefinition journey, DateTimeOffset start)
    {
        var data = new JsonObject();
        if (journey.Entry is { Policy: ReEntryPolicy.OncePerKey, Key: { } key } && key.StartsWith("trigger.data.", StringComparison.Ordinal) && key.Count(c => c == '.') == 2)
        {
            data[key["trigger.data.".Length..]] = "simulation";
        }
        return journey.Trigger switch
        {
            EventTrigger e => (e.Event, data),
            ScheduleTrigger schedule when schedule.Fired(journey.Id, start, "simulated-customer") is { } fired => (fired.Type, fired.Data),
            ScheduleTrigger => (ScheduleTrigger.FiredEventType, new JsonObject { ["occurrence"] = start.ToString("O", CultureInfo.InvariantCulture) }),
            _ => ("journey.started", data),
        };
    }
}
