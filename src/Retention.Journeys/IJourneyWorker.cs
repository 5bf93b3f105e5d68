namespace Retention.Journeys;

public enum WorkerState
{
    /// <summary>Not started, or stopped.</summary>
    Stopped,

    /// <summary>Started, but not yet owning the partitions it should: work waits in queues nobody reads.</summary>
    Starting,

    Running,
}

/// <summary>
/// The engine's worker in this process, for the health check: the standalone host runs one (DTFx); the Functions app
/// has none of its own (the Functions host runs the orchestrations), so it registers none.
/// </summary>
public interface IJourneyWorker
{
    WorkerState State { get; }

    string TaskHubName { get; }

    /// <summary>The partitions this worker owns now; null when it cannot tell (storage did not answer).</summary>
    Task<int?> ObservePartitionsAsync(CancellationToken cancellationToken);
}
