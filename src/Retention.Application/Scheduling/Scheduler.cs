using Microsoft.Extensions.Logging;
using Retention.Core.Definitions;
using Retention.Core.Ports;
using Retention.Core.Scheduling;
using Retention.Core.Time;
using Retention.Journeys;

namespace Retention.Application.Scheduling;

/// <summary>
/// Runs cron schedules: journeys with a schedule trigger (each its own schedule) and the configured system jobs
/// (<see cref="SystemJobs"/>). Every tick starts the due occurrence of each schedule as a durable orchestration whose
/// id is the occurrence, then records it in the ledger: an occurrence runs once across replicas (a second start is
/// refused), a crash between the two only repeats a refused start, and occurrences missed while the service was
/// down run once, not once each.
/// </summary>
public sealed class Scheduler(IJourneyCatalog catalog, SystemJobs jobs, IScheduleLedger ledger, IJourneyInstances engine, TimeProvider time, ILogger<Scheduler> logger)
{
    /// <summary>How far back a schedule that never ran looks for a due occurrence.</summary>
    public static readonly TimeSpan FirstRunLookback = TimeSpan.FromDays(1);

    public IEnumerable<(CronSchedule Schedule, JourneyDefinition Journey)> Schedules() =>
        catalog.Active.Where(j => j.Trigger is ScheduleTrigger).Select(j =>
        {
            var trigger = (ScheduleTrigger)j.Trigger;
            return (new CronSchedule($"journey:{j.Id}", trigger.Cron, LocalClock.ResolveZone(trigger.TimeZone, TimeZoneInfo.Utc)), j);
        });

    /// <summary>Starts every due occurrence. Returns when the next one falls due, for the caller's sleep.</summary>
    public async Task<DateTimeOffset?> TickAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        DateTimeOffset? next = null;
        var work = Schedules().Select(s => (s.Schedule, (Func<DateTimeOffset, ScheduledWork>)(due => new ScheduledWork(ScheduledWork.JourneyKind, s.Journey.Id, due))))
            .Concat(jobs.All.Where(j => j.Schedule is not null).Select(j => (j.Schedule!, (Func<DateTimeOffset, ScheduledWork>)(due => new ScheduledWork(ScheduledWork.JobKind, j.Name, due)))));
        foreach (var (schedule, message) in work)
        {
            var last = await ledger.LastRunAsync(schedule.Name, cancellationToken);
            if (schedule.DueOccurrence(last, now, FirstRunLookback) is { } due)
            {
                var occurrence = message(due);
                if (await engine.StartAsync(JourneyTasks.ScheduledWork, ScheduledWorkOrchestrator.InstanceIdOf(occurrence), occurrence, cancellationToken))
                {
                    logger.ScheduleOccurrenceClaimed(schedule.Name, due);
                }
                await ledger.TryClaimAsync(schedule.Name, due, cancellationToken);
            }
            if (schedule.NextAfter(now) is { } upcoming && (next is null || upcoming < next))
            {
                next = upcoming;
            }
        }
        return next;
    }
}
