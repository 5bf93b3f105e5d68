using Microsoft.Extensions.Logging;
using Retention.Core.Conditions;
using Retention.Core.Customers;
using Retention.Core.Definitions;
using Retention.Core.Events;
using Retention.Core.Ports;
using Retention.Core.Runtime;
using Retention.Journeys;
using Retention.Storage.Customers;
using Retention.Storage.Journeys;

namespace Retention.Storage.Routing;

public abstract record StartResult;
public sealed record Started(string InstanceId) : StartResult;
public sealed record AlreadyStarted(string InstanceId) : StartResult;
public sealed record NotEntered(string Reason) : StartResult;

/// <summary>
/// Delivers an event to the customer's unfinished instances (raised as their signal) and starts the journeys it
/// triggers. Repeating it for the same event changes nothing: instance ids are deterministic, a start of an existing
/// instance is refused, and instances ignore events they have seen.
/// </summary>
public sealed class JourneyRouter(
    CustomerInstanceIndex index,
    EnrollmentStore enrollments,
    IJourneyCatalog catalog,
    JourneyCatalog versions,
    ICustomerProfiles customers,
    CustomerEventLog events,
    IJourneyInstances instances,
    JourneyInterpreter interpreter,
    TimeProvider time,
    ILogger<JourneyRouter> logger)
{
    /// <summary>How long after its index entry an instance may still be being created.</summary>
    private static readonly TimeSpan StartGrace = TimeSpan.FromMinutes(2);

    public async Task RouteAsync(CustomerEvent received, CancellationToken cancellationToken)
    {
        // Index first (inside each start), then signal the index: an instance this event starts ignores it as its trigger.
        System.Text.Json.Nodes.JsonObject? profile = null;
        var startedNow = new HashSet<string>(StringComparer.Ordinal);
        foreach (var journey in catalog.Active)
        {
            if (journey.Trigger is not EventTrigger trigger || trigger.Event != received.Type)
            {
                continue;
            }
            if (trigger.Filter is { } filter)
            {
                profile ??= await customers.GetAsync(received.CustomerId, cancellationToken) ?? CustomerSnapshot.Empty(received.CustomerId);
                var trig = received.ToJson();
                if (!filter.Evaluate(new ValueScope(profile, trig, [], trig, [])))
                {
                    continue;
                }
            }
            if (await StartAsync(journey, received, cancellationToken) is Started started)
            {
                startedNow.Add(started.InstanceId); // it carries this event as its trigger
            }
        }
        var signal = JourneySignal.Of(received);
        await Task.WhenAll((await index.ListAsync(received.CustomerId, activeOnly: true, cancellationToken))
            .Where(entry => !startedNow.Contains(entry.InstanceId))
            .Select(entry => SignalAsync(entry, signal, cancellationToken)));
    }

    /// <summary>
    /// The engine drops a signal raised before its instance exists. An instance indexed moments ago may still be being
    /// created by another request; if it does not exist yet, its creator delivers this event: it reads the event log
    /// again once the instance exists (see <see cref="StartAsync"/>), and this event was logged before this check.
    /// </summary>
    private async Task SignalAsync(CustomerInstanceEntry entry, JourneySignal signal, CancellationToken cancellationToken)
    {
        if (entry.Status == InstanceStatus.Pending && time.GetUtcNow() - entry.StartedAt < StartGrace
            && await instances.GetAsync(entry.InstanceId, cancellationToken) is null)
        {
            return;
        }
        await instances.SignalAsync(entry.InstanceId, signal, cancellationToken);
    }

    /// <summary>Enters a customer into a journey, honouring its re-entry policy. A duplicate trigger changes nothing.</summary>
    public async Task<StartResult> StartAsync(JourneyDefinition journey, CustomerEvent trigger, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var enrollment = journey.Entry.Policy is ReEntryPolicy.Once or ReEntryPolicy.Cooldown
            ? await enrollments.GetAsync(trigger.CustomerId, journey.Id, cancellationToken)
            : null;
        var decision = EntryPolicy.Decide(journey, trigger, enrollment, now);
        if (decision is Skip skip)
        {
            logger.EntrySkipped(journey.Id, trigger.CustomerId, skip.Reason);
            return new NotEntered(skip.Reason);
        }
        var enter = (Enter)decision;
        // Index first, then read the event log: an event logged before this read is in what the start carries, and one
        // logged after it is raised to the indexed instance, by its own route once the instance exists or by the second
        // read below. Either way the instance sees it.
        await index.AddPendingAsync(trigger.CustomerId, enter.InstanceId, journey.Id, now, cancellationToken);
        var profile = await customers.GetAsync(trigger.CustomerId, cancellationToken) ?? CustomerSnapshot.Empty(trigger.CustomerId);
        var window = journey.EventBufferWindow ?? interpreter.Settings.EventBufferWindow;
        var recent = journey.AwaitedEventTypes.Count > 0 || journey.ExitOn.Count > 0
            ? await events.SinceAsync(trigger.CustomerId, now - window, 200, cancellationToken)
            : [];
        var json = await versions.ReadJsonAsync(journey.Id, journey.Version, cancellationToken)
            ?? throw new InvalidOperationException($"Journey {journey.Id} v{journey.Version} is missing from the catalog.");
        var run = new JourneyRun(json, journey.Version, new StartInstance(enter.InstanceId, enter.EntryKey, trigger, profile, recent), null, null);
        var created = await instances.StartAsync(JourneyTasks.Journey, enter.InstanceId, run, cancellationToken);
        if (journey.AwaitedEventTypes.Count > 0 || journey.ExitOn.Count > 0)
        {
            // An event logged after the first read may have found no instance to signal (it did not exist yet): deliver
            // it now. Also on a repeated start, in case the first one stopped right after creating the instance.
            var carried = recent.Select(e => e.Key).Append(trigger.Key).ToHashSet(StringComparer.Ordinal);
            foreach (var late in (await events.SinceAsync(trigger.CustomerId, now - window, 200, cancellationToken)).Where(e => !carried.Contains(e.Key)))
            {
                await instances.SignalAsync(enter.InstanceId, JourneySignal.Of(late), cancellationToken);
            }
        }
        if (!created)
        {
            return new AlreadyStarted(enter.InstanceId);
        }
        if (journey.Entry.Policy is ReEntryPolicy.Once or ReEntryPolicy.Cooldown)
        {
            await enrollments.RecordEntryAsync(trigger.CustomerId, journey.Id, now, enrollment, cancellationToken);
        }
        logger.InstanceStarted(enter.InstanceId, journey.Id, journey.Version, trigger.CustomerId);
        return new Started(enter.InstanceId);
    }
}
