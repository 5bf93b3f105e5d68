using Retention.Core.Events;
using Retention.Core.Runtime;

namespace Retention.Journeys;

/// <summary>An instance as the engine reports it: its published view, or what the engine knows when the instance has none yet.</summary>
public sealed record JourneyInstanceInfo(JourneyInstanceState State, IReadOnlyList<HistoryEntry> History);

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
}

/// <summary>Accepts an event as if ingested: a journey's emit step, an inbound reply.</summary>
public interface ICustomerEventSink
{
    Task AcceptAsync(CustomerEvent customerEvent, CancellationToken cancellationToken);
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
