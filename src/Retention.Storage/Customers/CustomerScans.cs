using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Azure;
using Azure.Data.Tables;
using Retention.Core.Customers;
using Retention.Core.Ports;
using Retention.Core.Runtime;

namespace Retention.Storage.Customers;

/// <summary>
/// Passes over every customer row (<see cref="CustomerRow.ProfileRowsFilter"/>), reading only the columns a pass
/// needs. The pyramid's placements are merged under the ETag the scan read, so a transaction or profile change since
/// then is noticed and the customer placed again from what is stored now.
/// </summary>
public sealed class CustomerScans(StorageAccount account) : ICustomerScans
{
    private readonly TableClient _table = account.Table("customers");

    public async IAsyncEnumerable<CustomerStanding> StandingsAsync(PyramidMeasure rankBy, DateTimeOffset now, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var row in _table.QueryAsync<TableEntity>(CustomerRow.ProfileRowsFilter, maxPerPage: 1000, select: StandingColumns(rankBy), cancellationToken: cancellationToken))
        {
            yield return Standing(row, rankBy, now);
        }
    }

    public async Task<PlacementWrite> PlaceAsync(CustomerStanding read, PyramidPlacement placement, string placedBy, string? fromStatus, PyramidMeasure rankBy,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        var entity = new TableEntity(KeyEncoding.Encode(read.CustomerId), CustomerRow.ProfileRowKey)
        {
            [CustomerRow.Status] = placement.Status,
            [CustomerRow.Tier] = placement.Tier,
            [CustomerRow.PlacedBy] = placedBy,
            [CustomerRow.PreviousStatus] = fromStatus,
            [CustomerRow.PreviousTier] = read.Standing.Tier,
        };
        try
        {
            await _table.UpdateEntityAsync(entity, new ETag(read.Version), TableUpdateMode.Merge, cancellationToken);
            return new PlacementWrite(PlacementOutcome.Placed);
        }
        catch (RequestFailedException e) when (e.Status == 412)
        {
            var fresh = await _table.GetEntityIfExistsAsync<TableEntity>(entity.PartitionKey, entity.RowKey, StandingColumns(rankBy), cancellationToken);
            return new PlacementWrite(PlacementOutcome.Changed, fresh.HasValue ? Standing(fresh.Value!, rankBy, now) : null);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return new PlacementWrite(PlacementOutcome.Gone);
        }
    }

    public async IAsyncEnumerable<JsonObject> SnapshotsAsync(DateTimeOffset now, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var row in _table.QueryAsync<TableEntity>(CustomerRow.ProfileRowsFilter, select: CustomerRow.SnapshotColumns, cancellationToken: cancellationToken))
        {
            yield return CustomerRow.Snapshot(row, Uri.UnescapeDataString(row.PartitionKey), now);
        }
    }

    private static string[] StandingColumns(PyramidMeasure rankBy) =>
    [
        "PartitionKey", CustomerRow.LastActivityAt, CustomerRow.Status, CustomerRow.Tier, CustomerRow.PlacedBy, CustomerRow.PreviousStatus, CustomerRow.PreviousTier,
        rankBy == PyramidMeasure.Products ? CustomerRow.Products : CustomerRow.RevenueMonths,
    ];

    private static CustomerStanding Standing(TableEntity row, PyramidMeasure rankBy, DateTimeOffset now)
    {
        var measure = rankBy == PyramidMeasure.Products
            ? row.GetInt32(CustomerRow.Products) ?? 0
            : CustomerActivity.TrailingRevenue(row.GetString(CustomerRow.RevenueMonths), now);
        return new CustomerStanding(
            Uri.UnescapeDataString(row.PartitionKey), row.ETag.ToString(),
            new PyramidStanding(row.GetDateTimeOffset(CustomerRow.LastActivityAt), measure, row.GetString(CustomerRow.Status), row.GetString(CustomerRow.Tier)),
            row.GetString(CustomerRow.PlacedBy), row.GetString(CustomerRow.PreviousStatus), row.GetString(CustomerRow.PreviousTier));
    }
}
