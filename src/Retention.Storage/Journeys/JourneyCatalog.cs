using System.Collections.Concurrent;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging;
using Retention.Core.Definitions;
using Retention.Core.Ports;
using Retention.Core.Runtime;

namespace Retention.Storage.Journeys;

public sealed record JourneyHead(string JourneyId, int LatestVersion, bool Paused, string Hash, DateTimeOffset PublishedAt);

public sealed record PublishResult(int Version, bool Changed);

/// <summary>
/// Published journey versions: the JSON in a blob per version, and a head row per journey (latest version, paused).
/// Versions never change once written, so they are cached for good; the active list is refreshed from the heads.
/// </summary>
public sealed class JourneyCatalog(StorageAccount account, JourneyDefinitionReader reader, TimeProvider time, ILogger<JourneyCatalog> logger) : IJourneyCatalog
{
    private const string HeadRow = "head";
    private readonly TableClient _table = account.Table("journeys");
    private readonly BlobContainerClient _blobs = account.Container("journeys");
    private readonly ConcurrentDictionary<(string, int), JourneyDefinition> _versions = new();
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
        var read = reader.Read(json);
        if (read.Definition is null)
        {
            throw new InvalidOperationException($"Stored journey {journeyId} v{version} no longer reads: {read.Errors[0].Path} {read.Errors[0].Message}");
        }
        var definition = read.Definition with { Version = version };
        _versions[(journeyId, version)] = definition;
        return definition;
    }

    public async Task<string?> ReadJsonAsync(string journeyId, int version, CancellationToken cancellationToken)
    {
        try
        {
            var content = await _blobs.GetBlobClient(BlobName(journeyId, version)).DownloadContentAsync(cancellationToken);
            return content.Value.Content.ToString();
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    /// <summary>
    /// Publishes <paramref name="json"/> as the next version unless it is the same as the latest. Safe when several
    /// replicas publish at once: the version row is created only once, and the loser rechecks.
    /// </summary>
    public async Task<PublishResult> PublishAsync(JourneyDefinition definition, string json, CancellationToken cancellationToken)
    {
        var hash = StableHash.Hex(json, 32);
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var head = await GetHeadAsync(definition.Id, cancellationToken);
            if (head.Value is { } current && current.Hash == hash)
            {
                return new PublishResult(current.LatestVersion, false);
            }
            var version = (head.Value?.LatestVersion ?? 0) + 1;
            await _blobs.GetBlobClient(BlobName(definition.Id, version)).UploadAsync(BinaryData.FromString(json), overwrite: true, cancellationToken);
            var row = new TableEntity(definition.Id, HeadRow)
            {
                ["LatestVersion"] = version,
                ["Paused"] = head.Value?.Paused ?? false,
                ["Hash"] = hash,
                ["PublishedAt"] = time.GetUtcNow(),
                ["Name"] = definition.Name,
            };
            if (await _table.TryWriteAsync(row, head.ETag, cancellationToken))
            {
                _versions[(definition.Id, version)] = definition with { Version = version };
                logger.JourneyPublished(definition.Id, version);
                await RefreshAsync(cancellationToken);
                return new PublishResult(version, true);
            }
            // Another replica published first; look again.
        }
        throw new InvalidOperationException($"Journey {definition.Id} is being published concurrently; try again.");
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
        e.PartitionKey, e.GetInt32("LatestVersion") ?? 0, e.GetBoolean("Paused") ?? false, e.GetString("Hash") ?? "", e.GetDateTimeOffset("PublishedAt") ?? default);

    private static string BlobName(string journeyId, int version) => $"{journeyId}/v{version:D6}.json";
}
