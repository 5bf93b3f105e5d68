using Microsoft.DurableTask;

namespace Retention.Journeys;

/// <summary>How the orchestrations behave; the same in both hosts.</summary>
public sealed class JourneyOrchestrationOptions
{
    /// <summary>
    /// Retries of an effect that failed (storage or a provider unreachable): about 25 minutes with backoff, so an
    /// outage is ridden out, and then the instance fails visibly rather than retrying forever.
    /// </summary>
    public TaskOptions EffectRetry { get; init; } = EffectRetryOf(12);

    /// <summary>The effects' retry policy with <paramref name="attempts"/> attempts (1 fails at the first error).</summary>
    public static TaskOptions EffectRetryOf(int attempts) => TaskOptions.FromRetryPolicy(new RetryPolicy(
        maxNumberOfAttempts: attempts, firstRetryInterval: TimeSpan.FromSeconds(2), backoffCoefficient: 2, maxRetryInterval: TimeSpan.FromMinutes(5)));

    public JourneyMetrics? Metrics { get; init; }

    /// <summary>
    /// How long after its due time a durable timer is set to fire. The Azure Storage backend hides a timer's queue
    /// message for whole seconds, so a timer can come back up to a second early (measured here: 0.8 s); a second's
    /// margin keeps it from being early, which saves the extra timer (and orchestration episode) that waiting again
    /// would cost. Orchestrators still never act before the due time. An engine whose timers are exact needs none.
    /// </summary>
    public TimeSpan TimerMargin { get; init; } = TimeSpan.FromSeconds(1);

    public DateTime FireAt(DateTimeOffset due) => due.UtcDateTime + TimerMargin;
}
