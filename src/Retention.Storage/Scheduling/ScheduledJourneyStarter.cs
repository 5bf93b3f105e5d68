using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Retention.Core.Conditions;
using Retention.Core.Definitions;
using Retention.Core.Events;
using Retention.Core.Ports;
using Retention.Storage.Customers;
using Retention.Journeys;
using Retention.Storage.Routing;

namespace Retention.Storage.Scheduling;

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
        var (date, occasion) = trigger.OccasionOf(run.Occurrence);
        if (occasion is null)
        {
            return 0; // not one of the schedule's dates
        }
        var started = 0;
        var occurrence = run.Occurrence.ToString("O");
        var now = time.GetUtcNow();
        await foreach (var row in _customers.QueryAsync<TableEntity>(CustomerRow.ProfileRowsFilter, select: CustomerRow.SnapshotColumns, cancellationToken: cancellationToken))
        {
            // The snapshot journeys see (status, tier, aggregates), so a schedule's filter can select by tier.
            var profile = CustomerRow.Snapshot(row, Uri.UnescapeDataString(row.PartitionKey), now);
            if (profile["customerId"]?.GetValue<string>() is not { } customerId)
            {
                continue;
            }
            var data = new JsonObject { ["customerId"] = customerId, ["occurrence"] = occurrence };
            if (occasion.Length > 0)
            {
                data["occasion"] = occasion;
                data["date"] = date.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
            }
            var triggerEvent = new CustomerEvent($"{run.Name}@{occurrence}", "schedule", "schedule.fired", run.Occurrence, customerId, data);
            if ((trigger.Customers?.Evaluate(new ValueScope(profile, triggerEvent.ToJson(), [], null, [])) ?? true)
                && await router.StartAsync(journey, triggerEvent, cancellationToken) is Started)
            {
                started++;
            }
        }
        return started;
    }
}
