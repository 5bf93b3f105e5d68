using Azure.Data.Tables;
using Retention.Core.Ports;
using Retention.Core.Runtime;

namespace Retention.Storage.Customers;

/// <summary>
/// Finds the customer behind a key that events carry instead of a customer id: a complaint id, or the phone number
/// an SMS reply comes from.
/// </summary>
public sealed class CorrelationIndex(StorageAccount account) : ICorrelationIndex
{
    public const string Complaint = ICorrelationIndex.Complaint;
    public const string Phone = ICorrelationIndex.Phone;

    private readonly TableClient _table = account.Table("lookups");

    public Task PutAsync(string kind, string key, string customerId, CancellationToken cancellationToken) =>
        _table.UpsertEntityAsync(new TableEntity(kind, KeyEncoding.Encode(key)) { ["CustomerId"] = customerId }, TableUpdateMode.Replace, cancellationToken);

    public async Task<string?> FindAsync(string kind, string key, CancellationToken cancellationToken)
    {
        var response = await _table.GetEntityIfExistsAsync<TableEntity>(kind, KeyEncoding.Encode(key), cancellationToken: cancellationToken);
        return response.HasValue ? response.Value!.GetString("CustomerId") : null;
    }
}
