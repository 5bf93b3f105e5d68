using Azure.Data.Tables;
using Retention.Application.Routing;
using Retention.Core.Definitions;
using Retention.Core.Ports;
using Retention.Storage.Customers;
using Retention.Journeys;
using Retention.Storage.Routing;
using Retention.Storage;

namespace Retention.Application.Scheduling;

/// <summary>
/// One occurrence of a schedule-triggered journey: every customer the trigger's filter selects is started in
/// it. The trigger event's id is (journey, occurrence), so a repeated run starts nobody twice.
/// </summary>
public sealed class ScheduledJourneyStarter(StorageAccount account, IJourneyCatalog catalog, JourneyRouter router, TimeProvider time)
{
    private readonly TableClient _customers = account.Table("customers");

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
        await foreach (var row in _customers.QueryAsync<TableEntity>(CustomerRow.ProfileRowsFilter, select: CustomerRow.SnapshotColumns, cancellationToken: cancellationToken))
        {
            // The snapshot journeys see (status, tier, aggregates), so a schedule's filter can select by tier.
            var profile = CustomerRow.Snapshot(row, Uri.UnescapeDataString(row.PartitionKey), now);
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
