using Retention.Application.Routing;
using Retention.Core.Definitions;
using Retention.Core.Ports;
using Retention.Journeys;

namespace Retention.Application.Scheduling;

/// <summary>
/// One occurrence of a schedule-triggered journey: every customer the trigger's filter selects is started in
/// it. The trigger event's id is (journey, occurrence), so a repeated run starts nobody twice.
/// </summary>
public sealed class ScheduledJourneyStarter(ICustomerScans customers, IJourneyCatalog catalog, JourneyRouter router, TimeProvider time)
{

    public async Task<int> RunAsync(ScheduledWork run, CancellationToken cancellationToken)
    {
        if (catalog.Active.FirstOrDefault(j => j.Id == run.Name) is not { Trigger: ScheduleTrigger trigger } journey)
        {
            return 0;
        }
        if (trigger.OccasionOf(run.Occurrence).Occasion is null)
        {
            return 0; // not one of the schedule's dates
        }
        var started = 0;
        var now = time.GetUtcNow();
        // The snapshot journeys see (status, tier, aggregates), so a schedule's filter can select by tier.
        await foreach (var profile in customers.SnapshotsAsync(now, cancellationToken))
        {
            if (profile["customerId"]?.GetValue<string>() is not { } customerId)
            {
                continue;
            }
            var triggerEvent = trigger.Fired(journey.Id, run.Occurrence, customerId)!;
            if (trigger.Selects(profile, triggerEvent) && await router.StartAsync(journey, triggerEvent, cancellationToken) is Started)
            {
                started++;
            }
        }
        return started;
    }
}
