using Microsoft.Extensions.Logging;
using Retention.Core.Customers;
using Retention.Core.Definitions;
using Retention.Core.Events;
using Retention.Core.Ports;
using Retention.Core.Runtime;
using Retention.Journeys;

namespace Retention.Application.Routing;

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
    ICustomerInstanceIndex index,
    IEnrollments enrollments,
    IJourneyCatalog catalog,
    ICustomerProfiles customers,
    IJourneyInstances instances,
    ICurrentSettings settings,
    PinnedInterpreters interpreters,
    IFactCounters counters,
    TimeProvider time,
    ILogger<JourneyRouter> logger)
{
    /// <summary>
    /// How long after its index entry an instance may not yet have run its first step (an engine backlog, a partition
    /// moving between workers); within it, each signal first checks that the instance has started.
    /// </summary>
    private static readonly TimeSpan StartGrace = TimeSpan.FromMinutes(15);

    private const int JourneysKept = 256;

    /// <summary>Per journey and its latest version: every version of it, or null when one did not read (every event is then raised).</summary>
    private readonly BoundedCache<(string JourneyId, int Latest), IReadOnlyList<JourneyDefinition>?> _versions = new(JourneysKept);

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
            if (trigger.Filter is not null)
            {
                profile ??= await customers.GetAsync(received.CustomerId, cancellationToken) ?? CustomerSnapshot.Empty(received.CustomerId);
                if (!trigger.Selects(profile, received))
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
        var reacting = new List<CustomerInstanceEntry>();
        foreach (var entry in await index.ListAsync(received.CustomerId, activeOnly: true, cancellationToken))
        {
            if (!startedNow.Contains(entry.InstanceId) && await ReactsAsync(entry.JourneyId, received.Type, cancellationToken))
            {
                reacting.Add(entry);
            }
        }
        await Task.WhenAll(reacting.Select(entry => SignalAsync(entry, signal, cancellationToken)));
    }

    /// <summary>
    /// Whether an instance of the journey may react to an event of this type, whichever version it runs (its own, or one
    /// a migration moved it to; never one newer than the latest). Raising any other event would cost the engine an
    /// episode that changes nothing. An instance of a journey that is not active (paused) is always raised to.
    /// </summary>
    private async ValueTask<bool> ReactsAsync(string journeyId, string eventType, CancellationToken cancellationToken)
    {
        if (catalog.Active.FirstOrDefault(j => j.Id == journeyId) is not { } latest)
        {
            return true;
        }
        if (!_versions.TryGetValue((journeyId, latest.Version), out var versions))
        {
            List<JourneyDefinition>? read = [];
            for (var version = 1; version <= latest.Version && read is not null; version++)
            {
                if (await catalog.GetAsync(journeyId, version, cancellationToken) is { } definition)
                {
                    read.Add(definition);
                }
                else
                {
                    read = null;
                }
            }
            versions = _versions.Set((journeyId, latest.Version), read);
        }
        return versions?.Any(v => v.ReactsTo(eventType)) ?? true;
    }

    /// <summary>
    /// The engine may drop a signal raised before the instance has run its first step. An instance that has not yet
    /// started reads the customer's recent events itself when it does, and this event was logged before this check,
    /// so it is left to that read; one that has started gets the signal.
    /// </summary>
    private async Task SignalAsync(CustomerInstanceEntry entry, JourneySignal signal, CancellationToken cancellationToken)
    {
        if (time.GetUtcNow() - entry.StartedAt < StartGrace
            && await instances.GetAsync(entry.InstanceId, cancellationToken) is not { HasStarted: true })
        {
            return;
        }
        await instances.SignalAsync(entry.InstanceId, signal, cancellationToken);
    }

    /// <summary>
    /// Records the report facts of a start that runs no effect before the instance exists (<see cref="JourneyRun.Counted"/>),
    /// so the instance does not run an activity and an episode to count them; only for an instance that counts for
    /// nothing yet. The instance counts what its own start gives where it differs (early events, another day). Null when
    /// nothing was recorded: the instance counts as it starts.
    /// </summary>
    private async Task<CountedFacts?> CountStartAsync(JourneyDefinition journey, StartInstance start, PinnedSettings pinned, DateTimeOffset now, CancellationToken cancellationToken) =>
        pinned.CountsFacts && CountedStart(journey, start, pinned, now) is { } counted && await counters.RecordIfAsync(counted, [], cancellationToken)
            ? counted
            : null;

    /// <summary>
    /// The start's facts when it runs no effect; null also when interpreting it throws (a step that cannot run): the
    /// instance then fails as it starts, visibly, with its failure, as it would have without this count.
    /// </summary>
    private CountedFacts? CountedStart(JourneyDefinition journey, StartInstance start, PinnedSettings pinned, DateTimeOffset now)
    {
        try
        {
            return JourneyRun.CountedStart(interpreters.For(pinned), journey, start, now);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return null;
        }
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
        // Index first, then start: an event logged before the instance has started is read by the instance itself once it
        // has (see JourneyOrchestrator), and one routed after that finds it in the index and signals it.
        await index.AddPendingAsync(trigger.CustomerId, enter.InstanceId, journey.Id, now, cancellationToken);
        var profile = await customers.GetAsync(trigger.CustomerId, cancellationToken) ?? CustomerSnapshot.Empty(trigger.CustomerId);
        // The instance names its version, whose definition the worker reads from the catalog (JourneyDefinitions), and
        // replays with the settings in force now, whatever a later deployment configures.
        var pinned = settings.Current;
        var start = new StartInstance(enter.InstanceId, enter.EntryKey, trigger, profile, []);
        var counted = await CountStartAsync(journey, start, pinned, now, cancellationToken);
        var run = new JourneyRun(null, journey.Version, start, null, null, Pinned: pinned, JourneyId: journey.Id, Counted: counted);
        var created = await instances.StartAsync(JourneyTasks.Journey, enter.InstanceId, run, cancellationToken);
        if (!created)
        {
            if (counted is not null)
            {
                // Recorded for an instance that exists already (begun on another day, or before starts were counted
                // here): taken back, unless that instance has recorded its own facts since.
                await counters.RecordIfAsync(counted with { Facts = [] }, counted.Facts, cancellationToken);
            }
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
