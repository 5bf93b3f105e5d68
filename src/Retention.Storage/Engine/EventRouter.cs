using Retention.Core.Conditions;
using Retention.Core.Customers;
using Retention.Core.Definitions;
using Retention.Core.Events;
using Retention.Core.Ports;
using Retention.Core.Runtime;
using Retention.Storage.Instances;

namespace Retention.Storage.Engine;

/// <summary>
/// Delivers an event to the customer's active instances (waits, exits, goals, early buffering) and starts the
/// journeys it triggers. Re-running it for the same event changes nothing: instances remember the events they saw
/// and instance ids are deterministic.
/// </summary>
public sealed class EventRouter(CustomerInstanceIndex index, IJourneyCatalog catalog, ICustomerProfiles customers, JourneyEngine engine, TimeProvider time)
{
    /// <summary>How long an indexed instance may take to be created before its index row counts as an orphan.</summary>
    private static readonly TimeSpan StartGrace = TimeSpan.FromMinutes(2);

    public async Task RouteAsync(CustomerEvent received, CancellationToken cancellationToken)
    {
        // Starts first: an instance this very event starts (perhaps half-started before a crash) is then committed
        // when the delivery loop below meets it in the index, and ignores the event as its own trigger.
        JsonObjectHolder? profile = null;
        foreach (var journey in catalog.Active)
        {
            if (journey.Trigger is not EventTrigger trigger || trigger.Event != received.Type)
            {
                continue;
            }
            if (trigger.Filter is { } filter)
            {
                profile ??= new JsonObjectHolder(await customers.GetAsync(received.CustomerId, cancellationToken) ?? CustomerSnapshot.Empty(received.CustomerId));
                var trig = received.ToJson();
                if (!filter.Evaluate(new ValueScope(profile.Value, trig, [], trig, [])))
                {
                    continue;
                }
            }
            await engine.StartAsync(journey, received, cancellationToken);
        }
        foreach (var entry in await index.ListAsync(received.CustomerId, activeOnly: true, cancellationToken))
        {
            var applied = await engine.ApplyAsync(entry.InstanceId, new EventReceived(received), cancellationToken);
            if (applied == ApplyResult.NotFound && entry.StartedAt > time.GetUtcNow() - StartGrace)
            {
                // Another event's start is creating it right now, after it read the event log: retry, so this event reaches it.
                throw new InstanceStartingException(entry.InstanceId);
            }
        }
    }

    private sealed record JsonObjectHolder(System.Text.Json.Nodes.JsonObject Value);
}

/// <summary>An event met an instance that is still being created; the routing is retried shortly.</summary>
public sealed class InstanceStartingException(string instanceId) : Exception($"Instance {instanceId} is being created; the event will be routed again.");
