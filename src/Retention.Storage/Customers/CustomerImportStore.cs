using System.Text.Json;
using System.Text.Json.Nodes;
using Azure;
using Azure.Data.Tables;
using Retention.Core.Definitions;
using Retention.Core.Ports;

namespace Retention.Storage.Customers;

/// <summary>
/// Customer imports, one partition each (the import id, a hash of the file): the file's lines in rows of one chunk
/// each (compressed), and the import's record, written last so an import is listed only once its lines are all stored.
/// Unfinished imports are found by a query on the record rows' status. The partition <c>~list</c> lists them newest
/// first: one row per import, keyed by its creation time inverted, written before the record (a row whose record is
/// missing, after a crash between the two, is skipped).
/// </summary>
public sealed class CustomerImportStore(StorageAccount account) : ICustomerImportStore
{
    private const string RecordKey = "import";
    private const string ChunkPrefix = "chunk:";
    private const string ListPartition = "~list";

    /// <summary>Rows per transaction: a chunk row is tens of KB compressed, and a transaction carries at most 4 MiB.</summary>
    private const int RowsPerTransaction = 20;

    private readonly TableClient _table = account.Table("imports");

    public async Task<bool> CreateAsync(CustomerImport import, IReadOnlyList<IReadOnlyList<string>> chunks, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(import);
        ArgumentNullException.ThrowIfNull(chunks);
        if (await GetAsync(import.Id, cancellationToken) is not null)
        {
            return false;
        }
        // Upserts: a crash midway leaves lines a second upload of the same file writes over with the same content.
        var rows = chunks.Select((lines, i) =>
        {
            var row = new TableEntity(import.Id, ChunkKey(i)) { ["Lines"] = lines.Count };
            CompressedPayload.Write(row, CompressedPayload.Compress(new JsonArray([.. lines.Select(l => (JsonNode)JsonValue.Create(l))])));
            return new TableTransactionAction(TableTransactionActionType.UpsertReplace, row);
        });
        foreach (var batch in rows.Chunk(RowsPerTransaction))
        {
            await _table.SubmitTransactionAsync(batch, cancellationToken);
        }
        await _table.UpsertEntityAsync(new TableEntity(ListPartition, ListKey(import)) { ["ImportId"] = import.Id }, TableUpdateMode.Replace, cancellationToken);
        try
        {
            await _table.AddEntityAsync(RecordRow(import), cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return false; // the same file, uploaded twice at once: the other upload created it
        }
    }

    public async Task<CustomerImport?> GetAsync(string importId, CancellationToken cancellationToken)
    {
        var row = await _table.GetEntityIfExistsAsync<TableEntity>(importId, RecordKey, cancellationToken: cancellationToken);
        return row.HasValue ? Read(row.Value!) : null;
    }

    public async Task<IReadOnlyList<string>> ReadChunkAsync(string importId, int chunk, CancellationToken cancellationToken)
    {
        var row = await _table.GetEntityAsync<TableEntity>(importId, ChunkKey(chunk), cancellationToken: cancellationToken);
        return [.. (CompressedPayload.Read(row.Value) as JsonArray ?? []).Select(l => l!.GetValue<string>())];
    }

    public async Task<CustomerImport> SaveAsync(CustomerImport import, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(import);
        try
        {
            var response = await _table.UpdateEntityAsync(RecordRow(import), import.Version is { } version ? new ETag(version) : ETag.All,
                TableUpdateMode.Replace, cancellationToken);
            return import with { Version = response.Headers.ETag?.ToString() };
        }
        catch (RequestFailedException e) when (e.Status == 412)
        {
            throw new CustomerImportConflictException(import.Id);
        }
    }

    public async Task<IReadOnlyList<CustomerImport>> ListUnfinishedAsync(CancellationToken cancellationToken)
    {
        var unfinished = new List<CustomerImport>();
        var filter = TableClient.CreateQueryFilter($"RowKey eq {RecordKey} and Status eq {CustomerImportStatus.Running}");
        await foreach (var row in _table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            unfinished.Add(Read(row));
        }
        return unfinished;
    }

    public async Task<CustomerImportPage> ListAsync(int pageSize, string? continuationToken, CancellationToken cancellationToken)
    {
        var page = await _table.ReadPageAsync(TableClient.CreateQueryFilter($"PartitionKey eq {ListPartition}"), pageSize, continuationToken,
            row => row.GetString("ImportId"), cancellationToken, select: ["ImportId"]);
        var imports = await Task.WhenAll(page.Items.OfType<string>().Distinct(StringComparer.Ordinal).Select(id => GetAsync(id, cancellationToken)));
        return new CustomerImportPage([.. imports.OfType<CustomerImport>()], page.ContinuationToken);
    }

    /// <summary>Newest first: the creation time's ticks counted down from the largest, then the id.</summary>
    private static string ListKey(CustomerImport import) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{DateTimeOffset.MaxValue.UtcTicks - import.CreatedAt.UtcTicks:D19}:{import.Id}");

    private static string ChunkKey(int chunk) => $"{ChunkPrefix}{chunk:D6}";

    private static TableEntity RecordRow(CustomerImport i) => new(i.Id, RecordKey)
    {
        ["Format"] = i.Format.ToString(),
        ["Header"] = i.Header,
        ["Lines"] = i.Lines,
        ["Chunks"] = i.Chunks,
        ["ChunkLines"] = i.ChunkLines,
        ["Status"] = i.Status,
        ["ChunksDone"] = i.ChunksDone,
        ["LinesRead"] = i.LinesRead,
        ["Accepted"] = i.Accepted,
        ["Rejected"] = i.Rejected,
        ["Errors"] = JsonSerializer.Serialize(i.Errors.Select(e => new[] { e.Path, e.Message })),
        ["CreatedAt"] = i.CreatedAt,
        ["UpdatedAt"] = i.UpdatedAt,
    };

    private static CustomerImport Read(TableEntity row) => new(
        row.PartitionKey,
        Enum.Parse<CustomerImportFormat>(row.GetString("Format")),
        row.GetString("Header"),
        row.GetInt32("Lines") ?? 0,
        row.GetInt32("Chunks") ?? 0,
        row.GetInt32("ChunkLines") ?? 0,
        row.GetString("Status"),
        row.GetInt32("ChunksDone") ?? 0,
        row.GetInt32("LinesRead") ?? 0,
        row.GetInt32("Accepted") ?? 0,
        row.GetInt32("Rejected") ?? 0,
        [.. (JsonSerializer.Deserialize<string[][]>(row.GetString("Errors") ?? "[]") ?? []).Select(e => new DefinitionError(e[0], e[1]))],
        row.GetDateTimeOffset("CreatedAt") ?? default,
        row.GetDateTimeOffset("UpdatedAt") ?? default,
        row.ETag.ToString());
}
