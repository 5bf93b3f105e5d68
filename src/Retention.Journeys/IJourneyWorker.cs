namespace Retention.Journeys;

/// <summary>
/// The engine's worker in this process, for the health check: the standalone host runs one (DTFx); the Functions app
/// has none of its own (the Functions host runs the orchestrations), so it registers none.
/// </summary>
public interface IJourneyWorker
{
    /// <summary>True once the worker has started and until it stops.</summary>
    bool IsRunning { get; }

    string TaskHubName { get; }
}
