using Azure.Data.Tables;
using Retention.Core.Ports;
using Retention.Core.Runtime;
using Retention.Journeys;

namespace Retention.Storage.Routing;


/// <summary>
/// A customer's instances, one partition per customer, so an event is routed with one query instead of a scan.
/// Written before the instance is started, so routing never misses one; a finished instance marks itself here.
/// </summary>
public sealed class CustomerInstanceIndex(StorageAccount account) : IInstanceIndex, ICustomerInstanceIndex
{
    private readonly TableClient _table = account.Table("custinstances");

    /// <summary>Registers an instance about to be created, before anything else is read for it.</summary>
    public Task AddPendingAsync(string customerId, string instanceId, string journeyId, DateTimeOffset startedAt, CancellationToken cancellationToken) =>
        _table.UpsertEntityAsync(new TableEntity(KeyEncoding.Encode(customerId), KeyEncoding.Encode(instanceId))
        {
            ["InstanceId"] = instanceId,
            ["JourneyId"] = journeyId,
            ["Status"] = nameof(InstanceStatus.Pending),
            ["StartedAt"] = startedAt,
        }, TableUpdateMode.Replace, cancellationToken);

    public Task MarkFinishedAsync(FinishedInstance finished, CancellationToken cancellationToken) =>
        _table.UpsertEntityAsync(new TableEntity(KeyEncoding.Encode(finished.CustomerId), KeyEncoding.Encode(finished.InstanceId))
        {
            ["InstanceId"] = finished.InstanceId,
            ["JourneyId"] = finished.JourneyId,
            ["Status"] = finished.Status.ToString(),
            ["StartedAt"] = finished.StartedAt,
        }, TableUpdateMode.Replace, cancellationToken);

    public async Task<IReadOnlyList<CustomerInstanceEntry>> ListAsync(string customerId, bool activeOnly, CancellationToken cancellationToken)
    {
        var partition = KeyEncoding.Encode(customerId);
        var entries = new List<CustomerInstanceEntry>();
        await foreach (var e in _table.QueryAsync<TableEntity>(e => e.PartitionKey == partition, cancellationToken: cancellationToken))
        {
            var status = Enum.Parse<InstanceStatus>(e.GetString("Status") ?? nameof(InstanceStatus.Pending));
            if (!activeOnly || !status.IsFinished())
            {
                entries.Add(new CustomerInstanceEntry(e.GetString("InstanceId") ?? e.RowKey, e.GetString("JourneyId") ?? "", status, e.GetDateTimeOffset("StartedAt") ?? default));
            }
        }
        return entries;
    }

    public Task RemoveAsync(string customerId, string instanceId, CancellationToken cancellationToken) =>
        _table.DeleteEntityAsync(KeyEncoding.Encode(customerId), KeyEncoding.Encode(instanceId), cancellationToken: cancellationToken);
}
