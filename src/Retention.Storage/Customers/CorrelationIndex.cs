using Azure;
using Azure.Data.Tables;
using Retention.Core.Ports;
using Retention.Core.Runtime;

namespace Retention.Storage.Customers;

/// <summary>
/// Finds the customers behind a key that events carry instead of a customer id: a complaint id (one customer), or the
/// phone number an SMS comes from (the <c>addresses</c> table: partition the normalised number, one row per customer
/// who has it, so a family sharing a phone is one partition).
/// </summary>
public sealed class CorrelationIndex(StorageAccount account) : ICorrelationIndex
{
    public const string Complaint = ICorrelationIndex.Complaint;

    /// <summary>Where one customer per phone was kept before the address index; still read, so nobody indexed only there is missed.</summary>
    private const string LegacyPhone = "phone";

    private readonly TableClient _table = account.Table("lookups");
    private readonly TableClient _addresses = account.Table("addresses");

    public Task PutAsync(string kind, string key, string customerId, CancellationToken cancellationToken) =>
        _table.UpsertEntityAsync(new TableEntity(kind, KeyEncoding.Encode(key)) { ["CustomerId"] = customerId }, TableUpdateMode.Replace, cancellationToken);

    public async Task<string?> FindAsync(string kind, string key, CancellationToken cancellationToken)
    {
        var response = await _table.GetEntityIfExistsAsync<TableEntity>(kind, KeyEncoding.Encode(key), cancellationToken: cancellationToken);
        return response.HasValue ? response.Value!.GetString("CustomerId") : null;
    }

    /// <summary>Records that the customer has the normalised address. A merge: the same write again changes nothing, and the last question asked stays.</summary>
    public Task IndexAddressAsync(string address, string customerId, CancellationToken cancellationToken) =>
        _addresses.UpsertEntityAsync(new TableEntity(KeyEncoding.Encode(address), KeyEncoding.Encode(customerId)) { ["CustomerId"] = customerId },
            TableUpdateMode.Merge, cancellationToken);

    /// <summary>Forgets that the customer has the address (their phone changed); forgetting it twice changes nothing.</summary>
    public async Task UnindexAddressAsync(string address, string customerId, CancellationToken cancellationToken)
    {
        try
        {
            await _addresses.DeleteEntityAsync(KeyEncoding.Encode(address), KeyEncoding.Encode(customerId), ETag.All, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // Already gone.
        }
    }

    /// <summary>Records that an instance asked the customer a question by SMS at the address, so the reply finds them.</summary>
    public Task RecordAskAsync(string address, string customerId, string instanceId, DateTimeOffset at, CancellationToken cancellationToken) =>
        _addresses.UpsertEntityAsync(new TableEntity(KeyEncoding.Encode(address), KeyEncoding.Encode(customerId))
        {
            ["CustomerId"] = customerId,
            ["AskedAt"] = at,
            ["AskedBy"] = instanceId,
        }, TableUpdateMode.Merge, cancellationToken);

    /// <summary>
    /// Everyone indexed under the address, as written: a phone change interrupted by a crash can leave an entry that is
    /// no longer true, so the caller checks each against its profile.
    /// </summary>
    public async Task<IReadOnlyList<AddressHolder>> HoldersAsync(string address, CancellationToken cancellationToken)
    {
        var holders = new List<AddressHolder>();
        await foreach (var row in _addresses.QueryAsync<TableEntity>(e => e.PartitionKey == KeyEncoding.Encode(address), cancellationToken: cancellationToken))
        {
            holders.Add(new AddressHolder(row.GetString("CustomerId"), row.GetDateTimeOffset("AskedAt"), row.GetString("AskedBy")));
        }
        if (await FindAsync(LegacyPhone, address, cancellationToken) is { } legacy && holders.All(h => h.CustomerId != legacy))
        {
            holders.Add(new AddressHolder(legacy));
        }
        return holders;
    }
}
