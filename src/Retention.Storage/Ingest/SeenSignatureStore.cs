using Azure;
using Azure.Data.Tables;

namespace Retention.Storage.Ingest;

/// <summary>What a signature's use is: its first, an identical redelivery (same body), or a reuse over another body.</summary>
public enum SignatureUse
{
    First,
    Redelivery,
    Reused,
}

/// <summary>
/// The webhook signatures already accepted, with a hash of the body each one signed, so a captured signature cannot be
/// used over another body while its timestamp is still inside the tolerance window; the same request delivered again
/// (a sender's retry of a delivery it did not see acknowledged) is told apart and is answered as a duplicate. Durable in a table, so every replica sees every signature; an entry is needed only
/// until its timestamp leaves the window (after that the timestamp check rejects it anyway), so expired entries are
/// purged now and then.
/// </summary>
public sealed class SeenSignatureStore(StorageAccount account, TimeProvider time)
{
    private static readonly TimeSpan PurgeInterval = TimeSpan.FromMinutes(5);

    private readonly TableClient _table = account.Table("seensignatures");
    private volatile bool _created;
    private long _nextPurgeTicks;

    /// <summary>Records the signature with the hash of the body it signed, and says whether it was seen before and over which body.</summary>
    public async Task<SignatureUse> TryRecordAsync(string source, long timestamp, string signature, string bodyHash, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        await EnsureCreatedAsync(cancellationToken);
        var entity = new TableEntity(KeyEncoding.Encode(source), $"{timestamp:D12}-{signature}") { ["ExpiresAt"] = expiresAt, ["BodyHash"] = bodyHash };
        SignatureUse recorded;
        try
        {
            await _table.AddEntityAsync(entity, cancellationToken);
            recorded = SignatureUse.First;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            var seen = await _table.GetEntityIfExistsAsync<TableEntity>(entity.PartitionKey, entity.RowKey, ["BodyHash"], cancellationToken);
            recorded = seen.HasValue && seen.Value!.GetString("BodyHash") == bodyHash ? SignatureUse.Redelivery : SignatureUse.Reused;
        }
        if (PurgeIsDue())
        {
            // Off the request's path: a purge of many rows would otherwise hold up the one request that started it.
            _ = Task.Run(PurgeExpiredQuietlyAsync, CancellationToken.None);
        }
        return recorded;
    }

    private async Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        if (!_created)
        {
            await _table.CreateIfNotExistsAsync(cancellationToken);
            _created = true;
        }
    }

    private bool PurgeIsDue()
    {
        var now = time.GetUtcNow();
        var due = Interlocked.Read(ref _nextPurgeTicks);
        return now.UtcTicks >= due && Interlocked.CompareExchange(ref _nextPurgeTicks, now.Add(PurgeInterval).UtcTicks, due) == due;
    }

    private async Task PurgeExpiredQuietlyAsync()
    {
        try
        {
            var expired = _table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"ExpiresAt lt {time.GetUtcNow()}"), maxPerPage: 100, select: ["PartitionKey", "RowKey"]);
            var purged = 0;
            await foreach (var entity in expired)
            {
                await _table.DeleteEntityAsync(entity.PartitionKey, entity.RowKey, ETag.All);
                if (++purged >= 1000)
                {
                    break;
                }
            }
        }
        catch (RequestFailedException)
        {
            // Storage is unwell; the next purge picks up what this one left.
        }
        catch (AggregateException)
        {
            // The SDK gave up retrying; likewise.
        }
    }
}
