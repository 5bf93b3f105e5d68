using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Retention.Application.Scheduling;
using Retention.Functions.Durable;
using Retention.Storage.Scheduling;

namespace Retention.Functions.Timers;

/// <summary>
/// Ticks the cron scheduler every minute: the journeys' schedules and the system jobs (the nightly pyramid). Each due
/// occurrence starts as a <c>ScheduledWork</c> orchestration whose id is the occurrence, so it runs once, however many
/// ticks or instances see it; occurrences missed while the app was idle run once on the next tick. Schedules are cron
/// expressions of minutes, so a tick a minute starts each within a minute of its time.
/// </summary>
public sealed class SchedulerFunction(Scheduler scheduler, DurableClientScope scope)
{
    public const string Name = "Scheduler";

    /// <summary>Every minute, at second 0 (six-field NCRONTAB).</summary>
    public const string EveryMinute = "0 * * * * *";

    [Function(Name)]
    public Task<DateTimeOffset?> RunAsync([TimerTrigger(EveryMinute)] TimerInfo timer, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken) =>
        scope.Use(client, () => scheduler.TickAsync(cancellationToken));
}
