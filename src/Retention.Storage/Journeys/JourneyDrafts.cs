using System.Text;
using Azure.Data.Tables;
using Azure;
using Retention.Core.Ports;

namespace Retention.Storage.Journeys;

public sealed record JourneyDraftInfo(string JourneyId, DateTimeOffset SavedAt, string SavedBy);

/// <summary>
/// One draft per journey, a row next to the journey's head in the journeys table. Drafts are validated before they are
/// saved (by the caller), overwritten by the next save, and removed when published or discarded. Publishing deletes the
/// draft it read only if it is unchanged, so a save made meanwhile is kept.
/// </summary>
public sealed class JourneyDrafts(StorageAccount account, TimeProvider time) : IJourneyDrafts
{
    private const string DraftRow = "draft";
    private const int ChunkChars = 30_000; // a table string property holds 32K UTF-16 characters
    public const int MaxChunks = 15;       // and an entity 1 MiB

    private readonly TableClient _table = account.Table("journeys");

    public static int MaxChars => ChunkChars * MaxChunks;

    public async Task<JourneyDraft?> GetAsync(string journeyId, CancellationToken cancellationToken)
    {
        var response = await _table.GetEntityIfExistsAsync<TableEntity>(journeyId, DraftRow, cancellationToken: cancellationToken);
        if (!response.HasValue)
        {
            return null;
        }
        var e = response.Value!;
        var json = new StringBuilder(e.GetString("Json"));
        for (var i = 1; e.GetString($"Json{i}") is { } part; i++)
        {
            json.Append(part);
        }
        return new JourneyDraft(journeyId, json.ToString(), e.GetDateTimeOffset("SavedAt") ?? default, e.GetString("SavedBy") ?? "", e.ETag.ToString());
    }

    /// <summary>Saves (replaces) the draft. The caller has validated it and checked its size against <see cref="MaxChars"/>.</summary>
    public async Task<JourneyDraftInfo> SaveAsync(string journeyId, string json, string savedBy, CancellationToken cancellationToken)
    {
        if (json.Length > MaxChars)
        {
            throw new ArgumentException($"A draft may have at most {MaxChars} characters.", nameof(json));
        }
        var savedAt = time.GetUtcNow();
        var entity = new TableEntity(journeyId, DraftRow) { ["SavedAt"] = savedAt, ["SavedBy"] = savedBy };
        for (var i = 0; i * ChunkChars < json.Length || i == 0; i++)
        {
            entity[i == 0 ? "Json" : $"Json{i}"] = json.Substring(i * ChunkChars, Math.Min(ChunkChars, json.Length - (i * ChunkChars)));
        }
        await _table.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken);
        return new JourneyDraftInfo(journeyId, savedAt, savedBy);
    }

    public async Task<bool> DeleteAsync(string journeyId, string? ifMatch, CancellationToken cancellationToken)
    {
        try
        {
            var response = await _table.DeleteEntityAsync(journeyId, DraftRow, ifMatch is null ? ETag.All : new ETag(ifMatch), cancellationToken);
            return response.Status != 404; // the client answers a missing entity without throwing
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
            return false;
        }
    }

    /// <summary>Every journey's draft, without the JSON: one query over the small journeys table.</summary>
    public async Task<IReadOnlyList<JourneyDraftInfo>> ListAsync(CancellationToken cancellationToken)
    {
        var drafts = new List<JourneyDraftInfo>();
        await foreach (var e in _table.QueryAsync<TableEntity>(e => e.RowKey == DraftRow, select: ["PartitionKey", "SavedAt", "SavedBy"], cancellationToken: cancellationToken))
        {
            drafts.Add(new JourneyDraftInfo(e.PartitionKey, e.GetDateTimeOffset("SavedAt") ?? default, e.GetString("SavedBy") ?? ""));
        }
        return drafts;
    }
}
