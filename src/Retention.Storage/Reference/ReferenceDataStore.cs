using System.Collections.Concurrent;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging;
using Retention.Core.Runtime;
using Retention.Journeys;

namespace Retention.Storage.Reference;

/// <summary>The kinds of versioned data a journey's waits and tasks read besides its definition.</summary>
public static class ReferenceKinds
{
    /// <summary>The business calendars with the region map (<see cref="Core.Calendars.CalendarSet"/>).</summary>
    public const string Calendars = "calendars";

    /// <summary>The escalation roles' holders by region (<see cref="StaffDirectory"/>).</summary>
    public const string Staff = "staff";

    public static IReadOnlyList<string> All { get; } = [Calendars, Staff];
}

public sealed record ReferenceVersionInfo(int Version, DateTimeOffset PublishedAt, string PublishedBy);

public sealed record ReferenceDraft(string Document, DateTimeOffset SavedAt, string SavedBy);

/// <summary>
/// Versioned data beside the journey catalog: the business calendars and the staff directory, each published as
/// numbered, immutable versions (documents in blobs, the index in a table), with at most one draft per kind. New
/// instances and generations pin the latest version (<see cref="ICurrentSettings"/>), so a version published later
/// never changes what a replay computes. The documents are checked before they are saved (the admin API, the seed).
/// </summary>
public sealed class ReferenceDataStore(StorageAccount account, TimeProvider time, ILogger<ReferenceDataStore> logger)
{
    private const string HeadRow = "head";
    private const string DraftRow = "draft";

    private readonly TableClient _table = account.Table("referencedata");
    private readonly BlobContainerClient _blobs = account.Container("referencedata");
    private readonly ConcurrentDictionary<(string, int), string> _documents = new();
    private volatile IReadOnlyDictionary<string, PinnedVersion> _latest = new Dictionary<string, PinnedVersion>();

    /// <summary>The latest published version of a kind, as last refreshed; null before the first is published.</summary>
    public PinnedVersion? Latest(string kind) => _latest.GetValueOrDefault(kind);

    /// <summary>Publishes <paramref name="document"/> as a kind's first version unless it has one (seeding from configuration).</summary>
    public Task<int> SeedAsync(string kind, string document, CancellationToken cancellationToken) =>
        PublishAsync(kind, document, "system", onlyIfNew: true, cancellationToken);

    /// <summary>
    /// Publishes <paramref name="document"/> as the next version unless it is the same as the latest. Safe when several
    /// replicas publish at once: the head and the version row are written in one transaction guarded by the head's ETag.
    /// </summary>
    public async Task<int> PublishAsync(string kind, string document, string publishedBy, bool onlyIfNew, CancellationToken cancellationToken)
    {
        var hash = StableHash.Hex(document, 32);
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var head = await _table.GetEntityIfExistsAsync<TableEntity>(kind, HeadRow, cancellationToken: cancellationToken);
            var latest = head.HasValue ? head.Value!.GetInt32("LatestVersion") ?? 0 : 0;
            if (head.HasValue && (onlyIfNew || head.Value!.GetString("Hash") == hash))
            {
                await RefreshAsync(cancellationToken);
                return latest;
            }
            var version = latest + 1;
            var now = time.GetUtcNow();
            await _blobs.GetBlobClient(BlobName(kind, version)).UploadAsync(BinaryData.FromString(document), overwrite: true, cancellationToken);
            var row = new TableEntity(kind, HeadRow) { ["LatestVersion"] = version, ["Hash"] = hash, ["PublishedAt"] = now };
            var versionRow = new TableEntity(kind, VersionRow(version)) { ["PublishedAt"] = now, ["PublishedBy"] = publishedBy, ["Hash"] = hash };
            TableTransactionAction[] actions =
            [
                head.HasValue ? new(TableTransactionActionType.UpdateReplace, row, head.Value!.ETag) : new(TableTransactionActionType.Add, row),
                new(TableTransactionActionType.UpsertReplace, versionRow),
            ];
            try
            {
                await _table.SubmitTransactionAsync(actions, cancellationToken);
            }
            catch (TableTransactionFailedException e) when (e.Status is 409 or 412)
            {
                continue; // another replica published first; look again
            }
            _documents[(kind, version)] = document;
            await RefreshAsync(cancellationToken);
            return version;
        }
        throw new InvalidOperationException($"Could not publish a {kind} version: too many concurrent publishers.");
    }

    public async Task<IReadOnlyList<ReferenceVersionInfo>> VersionsAsync(string kind, CancellationToken cancellationToken)
    {
        var versions = new List<ReferenceVersionInfo>();
        await foreach (var e in _table.QueryAsync<TableEntity>(e => e.PartitionKey == kind && e.RowKey.CompareTo("v") >= 0 && e.RowKey.CompareTo("w") < 0,
            cancellationToken: cancellationToken))
        {
            versions.Add(new ReferenceVersionInfo(int.Parse(e.RowKey[1..], System.Globalization.CultureInfo.InvariantCulture),
                e.GetDateTimeOffset("PublishedAt") ?? default, e.GetString("PublishedBy") ?? ""));
        }
        return [.. versions.OrderByDescending(v => v.Version)];
    }

    /// <summary>A version's document; versions are immutable, so each is read from storage once.</summary>
    public async Task<string?> ReadAsync(string kind, int version, CancellationToken cancellationToken)
    {
        if (_documents.TryGetValue((kind, version), out var cached))
        {
            return cached;
        }
        try
        {
            var content = await _blobs.GetBlobClient(BlobName(kind, version)).DownloadContentAsync(cancellationToken);
            return _documents[(kind, version)] = content.Value.Content.ToString();
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    public async Task<ReferenceDraft?> DraftAsync(string kind, CancellationToken cancellationToken)
    {
        var row = await _table.GetEntityIfExistsAsync<TableEntity>(kind, DraftRow, cancellationToken: cancellationToken);
        if (!row.HasValue)
        {
            return null;
        }
        var content = await _blobs.GetBlobClient(DraftBlob(kind)).DownloadContentAsync(cancellationToken);
        return new ReferenceDraft(content.Value.Content.ToString(), row.Value!.GetDateTimeOffset("SavedAt") ?? default, row.Value.GetString("SavedBy") ?? "");
    }

    /// <summary>Saves a checked document as the kind's draft, replacing any other.</summary>
    public async Task<ReferenceDraft> SaveDraftAsync(string kind, string document, string savedBy, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await _blobs.GetBlobClient(DraftBlob(kind)).UploadAsync(BinaryData.FromString(document), overwrite: true, cancellationToken);
        await _table.UpsertEntityAsync(new TableEntity(kind, DraftRow) { ["SavedAt"] = now, ["SavedBy"] = savedBy }, TableUpdateMode.Replace, cancellationToken);
        return new ReferenceDraft(document, now, savedBy);
    }

    /// <summary>Publishes the kind's draft as its next version and removes the draft; null when there is none.</summary>
    public async Task<int?> PublishDraftAsync(string kind, string publishedBy, CancellationToken cancellationToken)
    {
        if (await DraftAsync(kind, cancellationToken) is not { } draft)
        {
            return null;
        }
        var version = await PublishAsync(kind, draft.Document, publishedBy, onlyIfNew: false, cancellationToken);
        await _table.DeleteEntityAsync(kind, DraftRow, ETag.All, cancellationToken);
        return version;
    }

    /// <summary>Reloads each kind's latest version: one query, and a blob read only for a new version.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        var latest = new Dictionary<string, PinnedVersion>(StringComparer.Ordinal);
        await foreach (var head in _table.QueryAsync<TableEntity>(e => e.RowKey == HeadRow, cancellationToken: cancellationToken))
        {
            var version = head.GetInt32("LatestVersion") ?? 0;
            if (await ReadAsync(head.PartitionKey, version, cancellationToken) is { } document)
            {
                latest[head.PartitionKey] = new PinnedVersion(version, document);
            }
        }
        _latest = latest;
    }

    public async Task RefreshQuietlyAsync(CancellationToken cancellationToken)
    {
        try
        {
            await RefreshAsync(cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // Any failure, storage down included: the refresh loop must outlive it, and the versions last read stay in force.
            logger.ReferenceDataRefreshFailed(e);
        }
    }

    private static string VersionRow(int version) => $"v{version:D6}";

    private static string BlobName(string kind, int version) => $"{kind}/v{version:D6}.json";

    private static string DraftBlob(string kind) => $"{kind}/draft.json";
}
