using Retention.Core.Events;
using Retention.Core.Runtime;

namespace Retention.Journeys;

/// <summary>An instance as the engine reports it: its published view, or what the engine knows when the instance has none yet.</summary>
/// <param name="Generation">How many times the instance has continued as new.</param>
/// <param name="HasStarted">
/// The engine has run the instance's first step, so its history exists. A signal raised before that may be dropped by
/// the engine (the Azure Storage backend discards events for an instance it cannot find yet).
/// </param>
/// <param name="Failure">Why the instance failed, when it did and published the reason.</param>
public sealed record JourneyInstanceInfo(JourneyInstanceState State, IReadOnlyList<HistoryEntry> History, int Generation = 0, bool HasStarted = true,
    JourneyFailure? Failure = null);

public sealed record JourneyInstancePage(IReadOnlyList<JourneyInstanceInfo> Items, string? ContinuationToken);

/// <summary>
/// The engine's client side, as the rest of the product sees it: start, signal, read, list and purge instances. The
/// standalone host implements it over DTFx and the Functions app over its Durable client; tests run it in memory
/// under virtual time.
/// </summary>
public interface IJourneyInstances
{
    /// <summary>Starts an orchestration under a deterministic id. False when an instance with that id exists, whatever its state.</summary>
    Task<bool> StartAsync(string orchestration, string instanceId, object input, CancellationToken cancellationToken);

    Task SignalAsync(string instanceId, JourneySignal signal, CancellationToken cancellationToken);

    Task<JourneyInstanceInfo?> GetAsync(string instanceId, CancellationToken cancellationToken);

    /// <summary>Journey instances, by journey (an instance-id prefix) and status.</summary>
    Task<JourneyInstancePage> QueryAsync(string? journeyId, InstanceStatus? status, int pageSize, string? continuationToken, CancellationToken cancellationToken);

    /// <summary>Deletes a finished instance's history and state. False when there was none.</summary>
    Task<bool> PurgeAsync(string instanceId, CancellationToken cancellationToken);

    /// <summary>
    /// Runs a failed instance again under its id from its last generation's start (<see cref="JourneyFailures.Restart"/>),
    /// raising again the signals that generation received (<see cref="JourneyFailures.SignalsToRaiseAgain"/>). False
    /// when the instance is not failed (or another restart got there first).
    /// </summary>
    Task<bool> RestartAsync(string instanceId, HistoryEntry restarted, CancellationToken cancellationToken);

    /// <summary>
    /// One page of the journey's instances that the engine failed (those a restart applies to), read with one query:
    /// the page may be empty with a continuation token, so a caller's request never reads more than a page.
    /// </summary>
    Task<JourneyInstancePage> QueryFailedAsync(string journeyId, int pageSize, string? continuationToken, CancellationToken cancellationToken);
}

/// <summary>Accepts an event as if ingested: a journey's emit step, an inbound reply.</summary>
public interface ICustomerEventSink
{
    Task AcceptAsync(CustomerEvent customerEvent, CancellationToken cancellationToken);
}

/// <summary>A customer's recently received events, for an instance that starts after some of them arrived.</summary>
public interface IRecentCustomerEvents
{
    Task<IReadOnlyList<CustomerEvent>> SinceAsync(string customerId, DateTimeOffset since, int take, CancellationToken cancellationToken);
}

/// <summary>The per-customer index that routes events to instances; an instance marks itself finished there.</summary>
public interface IInstanceIndex
{
    Task MarkFinishedAsync(FinishedInstance finished, CancellationToken cancellationToken);
}

/// <summary>Runs a <see cref="ScheduledWork"/>: a schedule-triggered journey's occurrence or a system job.</summary>
public interface IScheduledWorkRunner
{
    Task RunAsync(ScheduledWork work, CancellationToken cancellationToken);
}

/// <summary>How an engine's record of a journey orchestration reads as an instance: one rule for every engine.</summary>
public static class JourneyInstanceRecords
{
    /// <summary>
    /// The instance's view: the one it finished with (the orchestration's output) once it completed, else the last it
    /// published (its custom status). The output is part of the completion itself; the custom status is not kept in the
    /// history, so DTFx's Azure Storage backend, when it mends an instance row from the history (a storage outage lost
    /// the row's write after the history's), writes it empty and a finished instance would read as never started.
    /// </summary>
    /// <param name="serializedOutput">Null unless the orchestration completed; an instance finished before outputs
    /// carried the view has its outcome there, a JSON string.</param>
    public static JourneyInstanceView? ViewOf(string? serializedCustomStatus, string? serializedOutput)
    {
        var finished = serializedOutput is { Length: > 0 } output && output[0] == '{' ? output : null;
        return (finished ?? serializedCustomStatus) is { Length: > 0 } json
            ? Microsoft.DurableTask.Converters.JsonDataConverter.Default.Deserialize<JourneyInstanceView>(json)
            : null;
    }

    /// <param name="view">The instance's published view (its custom status), when it has published one.</param>
    /// <param name="start">The start input, read only while the instance has no view yet.</param>
    /// <param name="hasStarted">The engine's runtime status is past Pending: its first step has run.</param>
    /// <param name="failure">The engine's failure message when the orchestration failed, else null.</param>
    public static JourneyInstanceInfo ToInfo(string instanceId, JourneyInstanceView? view, JourneyRun? start, bool hasStarted, string? failure,
        DateTimeOffset createdAt, DateTimeOffset lastUpdatedAt)
    {
        var info = view is not null
            ? new JourneyInstanceInfo(view.State, view.History, view.Generation, hasStarted, failure is null ? null : view.Failure)
            : new JourneyInstanceInfo(PendingState(instanceId, start?.Start, createdAt), [], HasStarted: hasStarted);
        if (failure is not null)
        {
            var s = info.State;
            s.Status = InstanceStatus.Failed;
            s.Outcome = info.Failure?.Summary ?? failure;
            s.EndedAt ??= info.Failure?.At ?? lastUpdatedAt;
            s.Timer = null;
        }
        return info;
    }

    /// <summary>An instance started but not yet run: what its id and start input tell.</summary>
    private static JourneyInstanceState PendingState(string instanceId, StartInstance? start, DateTimeOffset createdAt)
    {
        return new JourneyInstanceState
        {
            InstanceId = instanceId,
            JourneyId = InstanceId.JourneyOf(instanceId),
            CustomerId = start?.Trigger.CustomerId ?? InstanceId.CustomerAndKeyOf(instanceId),
            EntryKey = start?.EntryKey,
            Status = InstanceStatus.Pending,
            StartedAt = createdAt,
            UpdatedAt = createdAt,
        };
    }
}
