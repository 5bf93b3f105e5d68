using Azure;
using Azure.Data.Tables;
using Retention.Core.Ports;
using Retention.Core.Runtime;

namespace Retention.Storage.Ingest;

/// <summary>Which (source, id) pairs were accepted: a repeated webhook is acknowledged but applied once.</summary>
public sealed class IngestLedger(StorageAccount account) : IIngestLedger
{
    private readonly TableClient _table = account.Table("ingested");

    public async Task<bool> SeenAsync(string source, string id, CancellationToken cancellationToken)
    {
        var response = await _table.GetEntityIfExistsAsync<TableEntity>(KeyEncoding.Encode(source), KeyEncoding.Encode(id), select: ["PartitionKey"], cancellationToken: cancellationToken);
        return response.HasValue;
    }

    public async Task RecordAsync(string source, string id, string type, DateTimeOffset acceptedAt, CancellationToken cancellationToken)
    {
        try
        {
            await _table.AddEntityAsync(new TableEntity(KeyEncoding.Encode(source), KeyEncoding.Encode(id)) { ["Type"] = type, ["AcceptedAt"] = acceptedAt }, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            // A concurrent duplicate recorded it first.
        }
    }
}
