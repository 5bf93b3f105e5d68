using System.Collections.Concurrent;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging;
using Retention.Core.Definitions;
using Retention.Core.Ports;
using Retention.Core.Runtime;

namespace Retention.Storage.Journeys;



/// <summary>Who published a version and when; null for versions published before this was recorded.</summary>
public sealed record JourneyVersionInfo(int Version, DateTimeOffset? PublishedAt, string? PublishedBy);

/// <summary>
/// Published journey versions: the JSON in a blob per version, a head row per journey (latest version, paused) and a
/// row per version (who, when). Versions never change once written, so they are cached for good; the active list is
/// refreshed from the heads.
/// </summary>
public sealed class JourneyCatalog(StorageAccount account, TimeProvider time, ILogger<JourneyCatalog> logger) : IJourneyVersions, IPublishedDefinitions
{
    private const string HeadRow = "head";
    private readonly TableClient _table = account.Table("journeys");
    private readonly BlobContainerClient _blobs = account.Container("journeys");
    private readonly ConcurrentDictionary<(string, int), JourneyDefinition> _versions = new();
    private readonly ConcurrentDictionary<(string, int), string> _json = new();
    private volatile IReadOnlyList<JourneyDefinition> _active = [];
    private volatile IReadOnlyList<JourneyHead> _heads = [];

    public IReadOnlyList<JourneyDefinition> Active => _active;

    public IReadOnlyList<JourneyHead> Heads => _heads;

    public async ValueTask<JourneyDefinition?> GetAsync(string journeyId, int version, CancellationToken cancellationToken)
    {
        if (_versions.TryGetValue((journeyId, version), out var cached))
        {
            return cached;
        }
        var json = await ReadJsonAsync(journeyId, version, cancellationToken);
        if (json is null)
        {
            return null;
        }
        // Validated when it was published: a reader made stricter since must not unpublish it.
        var read = JourneyDefinitionReader.ReadPublished(json)
            ?? throw new InvalidOperationException($"Stored journey {journeyId} v{version} does not read: it has no id, start or steps.");
        var definition = read with { Version = version };
        _versions[(journeyId, version)] = definition;
        return definition;
    }

    /// <summary>A version's definition as published; versions are immutable, so each is read from storage once.</summary>
    public async Task<string?> ReadJsonAsync(string journeyId, int version, CancellationToken cancellationToken)
    {
        if (_json.TryGetValue((journeyId, version), out var cached))
        {
            return cached;
        }
        try
        {
            var content = await _blobs.GetBlobClient(BlobName(journeyId, version)).DownloadContentAsync(cancellationToken);
            return _json[(journeyId, version)] = content.Value.Content.ToString();
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    /// <summary>
    /// Publishes <paramref name="json"/> as the next version unless it is the same as the latest. Safe when several
    /// replicas publish at once: the head and the version row are written in one transaction guarded by the head's
    /// ETag, so a version is created only once, and the loser rechecks.
    /// </summary>
    public Task<PublishResult> PublishAsync(JourneyDefinition definition, string json, CancellationToken cancellationToken) =>
        PublishAsync(definition, json, "system", onlyIfNew: false, cancellationToken);

    /// <param name="onlyIfNew">Publish only a journey that has never been published (seeding from files).</param>
    public async Task<PublishResult> PublishAsync(JourneyDefinition definition, string json, string publishedBy, bool onlyIfNew, CancellationToken cancellationToken)
    {
        var hash = StableHash.Hex(json, 32);
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var head = await GetHeadAsync(definition.Id, cancellationToken);
            if (head.Value is { } current && (current.Hash == hash || onlyIfNew))
            {
                return new PublishResult(current.LatestVersion, false);
            }
            var version = (head.Value?.LatestVersion ?? 0) + 1;
            var now = time.GetUtcNow();
            await _blobs.GetBlobClient(BlobName(definition.Id, version)).UploadAsync(BinaryData.FromString(json), overwrite: true, cancellationToken);
            var row = new TableEntity(definition.Id, HeadRow)
            {
                ["LatestVersion"] = version,
                ["Paused"] = head.Value?.Paused ?? false,
                ["Hash"] = hash,
                ["PublishedAt"] = now,
                ["Name"] = definition.Name,
            };
            var versionRow = new TableEntity(definition.Id, VersionRow(version)) { ["PublishedAt"] = now, ["PublishedBy"] = publishedBy, ["Hash"] = hash };
            TableTransactionAction[] actions =
            [
                head.ETag is { } etag ? new(TableTransactionActionType.UpdateReplace, row, etag) : new(TableTransactionActionType.Add, row),
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
            _versions[(definition.Id, version)] = definition with { Version = version };
            logger.JourneyPublished(definition.Id, version);
            await RefreshAsync(cancellationToken);
            return new PublishResult(version, true);
        }
        throw new InvalidOperationException($"Journey {definition.Id} is being published concurrently; try again.");
    }

    /// <summary>Every published version of a journey, oldest first, with who published it and when.</summary>
    public async Task<IReadOnlyList<JourneyVersionInfo>> VersionsAsync(string journeyId, int latest, CancellationToken cancellationToken)
    {
        var recorded = new Dictionary<int, JourneyVersionInfo>();
        await foreach (var e in _table.QueryAsync<TableEntity>(e => e.PartitionKey == journeyId && e.RowKey.CompareTo("v") >= 0 && e.RowKey.CompareTo("w") < 0,
            cancellationToken: cancellationToken))
        {
            if (int.TryParse(e.RowKey.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture, out var version))
            {
                recorded[version] = new JourneyVersionInfo(version, e.GetDateTimeOffset("PublishedAt"), e.GetString("PublishedBy"));
            }
        }
        return [.. Enumerable.Range(1, latest).Select(v => recorded.GetValueOrDefault(v) ?? new JourneyVersionInfo(v, null, null))];
    }

    public async Task SetPausedAsync(string journeyId, bool paused, CancellationToken cancellationToken)
    {
        await _table.UpdateEntityAsync(new TableEntity(journeyId, HeadRow) { ["Paused"] = paused }, ETag.All, TableUpdateMode.Merge, cancellationToken);
        await RefreshAsync(cancellationToken);
    }

    /// <summary>Reloads the heads and the active versions. Cheap: one query, and blob reads only for new versions.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        var heads = new List<JourneyHead>();
        await foreach (var e in _table.QueryAsync<TableEntity>(e => e.RowKey == HeadRow, cancellationToken: cancellationToken))
        {
            heads.Add(ToHead(e));
        }
        var active = new List<JourneyDefinition>();
        foreach (var head in heads.Where(h => !h.Paused))
        {
            if (await GetAsync(head.JourneyId, head.LatestVersion, cancellationToken) is { } definition)
            {
                active.Add(definition);
            }
        }
        _heads = heads;
        _active = active;
    }

    public async Task RefreshQuietlyAsync(CancellationToken cancellationToken)
    {
        try
        {
            await RefreshAsync(cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // Any failure, including the SDK's "retry failed" aggregate while storage is down: the loop must outlive it.
            logger.CatalogRefreshFailed(e);
        }
    }

    private async Task<(JourneyHead? Value, ETag? ETag)> GetHeadAsync(string journeyId, CancellationToken cancellationToken)
    {
        var response = await _table.GetEntityIfExistsAsync<TableEntity>(journeyId, HeadRow, cancellationToken: cancellationToken);
        return response.HasValue ? (ToHead(response.Value!), response.Value!.ETag) : (null, null);
    }

    private static JourneyHead ToHead(TableEntity e) => new(
        e.PartitionKey, e.GetInt32("LatestVersion") ?? 0, e.GetBoolean("Paused") ?? false, e.GetString("Hash") ?? "", e.GetDateTimeOffset("PublishedAt") ?? default,
        e.GetString("Name"));

    private static string VersionRow(int version) => $"v{version:D6}";

    private static string BlobName(string journeyId, int version) => $"{journeyId}/v{version:D6}.json";
}
