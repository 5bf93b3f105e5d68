using System.Text.Json.Nodes;
using Azure;
using Azure.Data.Tables;
using Retention.Core.Events;
using Retention.Core.Ports;
using Retention.Core.Runtime;

namespace Retention.Storage.Ingest;

/// <summary>An event set aside after it kept failing: kept for an operator to read and retry, never retried by itself.</summary>
/// <param name="Id">The handle to retry it by.</param>
public sealed record PoisonedEvent(string Id, string EventId, string Source, string Type, string CustomerId, DateTimeOffset AcceptedAt, DateTimeOffset PoisonedAt, int Attempts, string Error);

/// <summary>
/// Where accepted webhook requests wait to be applied. Accepting a request is one entity-group transaction in one
/// partition: the request's events (compressed, in request order) and its signature, so a request is either wholly
/// accepted with its signature remembered, or not at all. Rows are keyed by acceptance order, so the drain reads them
/// in that order; the same partition keeps the events set aside as poisoned and the drain's lease.
/// </summary>
public sealed class IngestInbox(StorageAccount account, TimeProvider time) : IIngestInbox
{
    /// <summary>The most one request's events may take compressed: one row's payload.</summary>
    public const int MaxPayloadBytes = CompressedPayload.MaxBytes;

    private const string Partition = "inbox";
    private const string RequestPrefix = "req:";
    private const string SignaturePrefix = "sig:";
    private const string PoisonPrefix = "poison:";
    private const string LeaseKey = "lease:drain";
    private static readonly TimeSpan PurgeInterval = TimeSpan.FromMinutes(5);

    private readonly TableClient _table = account.Table("inbox");
    private readonly Lock _orderGate = new();
    private long _lastTicks;
    private long _sequence;
    private long _nextPurgeTicks;
    private TaskCompletionSource _enqueued = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Accepts a request: its events, if any are new, and its signature, in one transaction. A signature seen before
    /// is answered by comparing bodies (a redelivery or a reuse), and nothing is written.
    /// </summary>
    public async Task<SignatureUse> AcceptAsync(IReadOnlyList<CustomerEvent> events, AcceptedSignature? signature, CancellationToken cancellationToken)
    {
        var actions = new List<TableTransactionAction>(2);
        if (signature is not null)
        {
            actions.Add(new(TableTransactionActionType.Add, new TableEntity(Partition, SignatureKey(signature))
            {
                ["ExpiresAt"] = signature.ExpiresAt,
                ["BodyHash"] = signature.BodyHash,
            }));
        }
        if (events.Count > 0)
        {
            actions.Add(new(TableTransactionActionType.Add, RequestRow(NextRequestKey(), time.GetUtcNow(), events)));
        }
        if (actions.Count == 0)
        {
            return SignatureUse.First;
        }
        try
        {
            await _table.SubmitTransactionAsync(actions, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 409 && signature is not null)
        {
            var seen = await _table.GetEntityIfExistsAsync<TableEntity>(Partition, SignatureKey(signature), ["BodyHash"], cancellationToken);
            return seen.HasValue && seen.Value!.GetString("BodyHash") == signature.BodyHash ? SignatureUse.Redelivery : SignatureUse.Reused;
        }
        if (events.Count > 0)
        {
            Interlocked.Exchange(ref _enqueued, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }
        if (signature is not null && PurgeIsDue())
        {
            // Off the request's path: a purge of many rows would otherwise hold up the one request that started it.
            _ = Task.Run(PurgeExpiredSignaturesQuietlyAsync, CancellationToken.None);
        }
        return SignatureUse.First;
    }

    /// <summary>Completes when this process next accepts a request, so its drain need not poll to notice.</summary>
    public Task NextAcceptance => Volatile.Read(ref _enqueued).Task;

    /// <summary>The oldest waiting requests, in acceptance order.</summary>
    public async Task<IReadOnlyList<InboxRequest>> ReadPendingAsync(int take, CancellationToken cancellationToken)
    {
        var requests = new List<InboxRequest>(take);
        await foreach (var row in _table.QueryAsync<TableEntity>(RangeFilter(RequestPrefix), maxPerPage: take, cancellationToken: cancellationToken))
        {
            requests.Add(new InboxRequest(row.RowKey, row.GetDateTimeOffset("AcceptedAt") ?? default, row.GetInt32("Attempts") ?? 0,
                row.GetDateTimeOffset("NotBefore"), ReadEvents(row)));
            if (requests.Count >= take)
            {
                break;
            }
        }
        return requests;
    }

    /// <summary>Removes requests whose every event is applied (or set aside).</summary>
    public async Task CompleteAsync(IReadOnlyCollection<string> keys, CancellationToken cancellationToken)
    {
        foreach (var chunk in keys.Chunk(100))
        {
            try
            {
                await _table.SubmitTransactionAsync(chunk.Select(k => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(Partition, k), ETag.All)), cancellationToken);
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                // One was gone already (a drain that lost its lease finished it): delete the rest one by one.
                foreach (var key in chunk)
                {
                    await _table.DeleteEntityAsync(Partition, key, ETag.All, cancellationToken);
                }
            }
        }
    }

    /// <summary>Records a failed attempt: the request is held back until <paramref name="notBefore"/>.</summary>
    public Task DeferAsync(string key, int attempts, DateTimeOffset notBefore, string error, CancellationToken cancellationToken) =>
        _table.UpdateEntityAsync(new TableEntity(Partition, key) { ["Attempts"] = attempts, ["NotBefore"] = notBefore, ["LastError"] = Truncate(error) },
            ETag.All, TableUpdateMode.Merge, cancellationToken);

    /// <summary>
    /// Sets the request's failed events aside, and keeps in its place (so in its order) only the events still to apply:
    /// those after a failure of the same customer. The request goes when none remain.
    /// </summary>
    public async Task PoisonAsync(InboxRequest request, IReadOnlyList<int> failed, IReadOnlyList<int> remaining, int attempts, string error, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var poisonRows = failed.Select(i => new TableTransactionAction(TableTransactionActionType.UpsertReplace, PoisonRow(request, i, attempts, error, now))).ToList();
        foreach (var chunk in poisonRows.Chunk(99).SkipLast(1))
        {
            await _table.SubmitTransactionAsync(chunk, cancellationToken);
        }
        var rest = remaining.Count == 0
            ? new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(Partition, request.Key), ETag.All)
            : new TableTransactionAction(TableTransactionActionType.UpdateReplace, RequestRow(request.Key, request.AcceptedAt, [.. remaining.Select(i => request.Events[i])]), ETag.All);
        await _table.SubmitTransactionAsync([.. poisonRows.Chunk(99).LastOrDefault() ?? [], rest], cancellationToken);
    }

    /// <summary>One page of the events set aside, oldest first: ids, types and errors, never their data.</summary>
    public Task<TablePage<PoisonedEvent>> ListPoisonedAsync(int pageSize, string? continuationToken, CancellationToken cancellationToken) =>
        _table.ReadPageAsync(RangeFilter(PoisonPrefix), pageSize, continuationToken, row => new PoisonedEvent(row.RowKey[PoisonPrefix.Length..], row.GetString("EventId"),
            row.GetString("Source"), row.GetString("Type"), row.GetString("CustomerId"), row.GetDateTimeOffset("AcceptedAt") ?? default,
            row.GetDateTimeOffset("PoisonedAt") ?? default, row.GetInt32("Attempts") ?? 0, row.GetString("Error")), cancellationToken,
            ["RowKey", "EventId", "Source", "Type", "CustomerId", "AcceptedAt", "PoisonedAt", "Attempts", "Error"]);

    /// <summary>Puts a poisoned event back at the end of the inbox (after an operator fixed its cause). False when there is no such event.</summary>
    public async Task<bool> RetryPoisonedAsync(string id, CancellationToken cancellationToken)
    {
        var rowKey = PoisonPrefix + id;
        var row = await _table.GetEntityIfExistsAsync<TableEntity>(Partition, rowKey, cancellationToken: cancellationToken);
        if (!row.HasValue)
        {
            return false;
        }
        var events = ReadEvents(row.Value!);
        try
        {
            await _table.SubmitTransactionAsync(
            [
                new(TableTransactionActionType.Add, RequestRow(NextRequestKey(), time.GetUtcNow(), events)),
                new(TableTransactionActionType.Delete, new TableEntity(Partition, rowKey), row.Value!.ETag),
            ], cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
            return false; // retried by someone else meanwhile
        }
        Interlocked.Exchange(ref _enqueued, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        return true;
    }

    /// <summary>Counts what waits, reading keys and counts only; past <paramref name="cap"/> requests it stops and says so.</summary>
    public async Task<InboxBacklog> MeasureAsync(int cap, CancellationToken cancellationToken)
    {
        int requests = 0, events = 0;
        DateTimeOffset? oldest = null;
        await foreach (var row in _table.QueryAsync<TableEntity>(RangeFilter(RequestPrefix), maxPerPage: 1000, select: ["RowKey", "Events", "AcceptedAt"], cancellationToken: cancellationToken))
        {
            oldest ??= row.GetDateTimeOffset("AcceptedAt");
            requests++;
            events += row.GetInt32("Events") ?? 0;
            if (requests >= cap)
            {
                return new InboxBacklog(requests, events, oldest, Capped: true);
            }
        }
        return new InboxBacklog(requests, events, oldest, Capped: false);
    }

    /// <summary>
    /// Takes or renews the drain's lease for <paramref name="owner"/>. One drain at a time keeps each customer's events
    /// in acceptance order across replicas; a lease a crashed owner left expires after <paramref name="duration"/>.
    /// </summary>
    public async Task<bool> TryLeaseAsync(string owner, TimeSpan duration, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var current = await _table.GetEntityIfExistsAsync<TableEntity>(Partition, LeaseKey, cancellationToken: cancellationToken);
        var lease = new TableEntity(Partition, LeaseKey) { ["Owner"] = owner, ["ExpiresAt"] = now + duration };
        if (!current.HasValue)
        {
            return await _table.TryWriteAsync(lease, null, cancellationToken);
        }
        var held = current.Value!;
        if (held.GetString("Owner") != owner && held.GetDateTimeOffset("ExpiresAt") > now)
        {
            return false;
        }
        return await _table.TryWriteAsync(lease, held.ETag, cancellationToken);
    }

    /// <summary>Gives the lease up (at shutdown), so another replica need not wait for it to expire.</summary>
    public async Task ReleaseLeaseAsync(string owner, CancellationToken cancellationToken)
    {
        var current = await _table.GetEntityIfExistsAsync<TableEntity>(Partition, LeaseKey, cancellationToken: cancellationToken);
        if (current.HasValue && current.Value!.GetString("Owner") == owner)
        {
            try
            {
                await _table.DeleteEntityAsync(Partition, LeaseKey, current.Value.ETag, cancellationToken);
            }
            catch (RequestFailedException e) when (e.Status is 404 or 412)
            {
                // taken over meanwhile
            }
        }
    }

    /// <summary>
    /// Acceptance order: the time of acceptance, then a sequence within this process (so two requests in one tick keep
    /// their order, and a clock stepping back never reorders them), then a random tail that keeps replicas apart.
    /// </summary>
    private string NextRequestKey()
    {
        long ticks, sequence;
        lock (_orderGate)
        {
            ticks = Math.Max(time.GetUtcNow().UtcTicks, _lastTicks);
            sequence = ticks == _lastTicks ? ++_sequence : _sequence = 0;
            _lastTicks = ticks;
        }
        return $"{RequestPrefix}{ticks:D19}-{sequence:D6}-{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4))}";
    }

    private static TableEntity RequestRow(string key, DateTimeOffset acceptedAt, IReadOnlyList<CustomerEvent> events)
    {
        var row = new TableEntity(Partition, key) { ["AcceptedAt"] = acceptedAt, ["Events"] = events.Count, ["Attempts"] = 0 };
        WritePayload(row, new JsonArray([.. events.Select(e => (JsonNode)e.ToJson())]));
        return row;
    }

    private static TableEntity PoisonRow(InboxRequest request, int index, int attempts, string error, DateTimeOffset now)
    {
        var e = request.Events[index];
        var row = new TableEntity(Partition, $"{PoisonPrefix}{request.Key}:{StableHash.Hex(e.Key)}")
        {
            ["EventId"] = e.Id,
            ["Source"] = e.Source,
            ["Type"] = e.Type,
            ["CustomerId"] = e.CustomerId,
            ["AcceptedAt"] = request.AcceptedAt,
            ["PoisonedAt"] = now,
            ["Attempts"] = attempts,
            ["Error"] = Truncate(error),
            ["Events"] = 1,
        };
        WritePayload(row, new JsonArray(e.ToJson()));
        return row;
    }

    private static void WritePayload(TableEntity row, JsonArray events)
    {
        var bytes = CompressedPayload.Compress(events);
        if (bytes.Length > MaxPayloadBytes)
        {
            throw new InboxRowTooLargeException(bytes.Length, MaxPayloadBytes);
        }
        CompressedPayload.Write(row, bytes);
    }

    private static IReadOnlyList<CustomerEvent> ReadEvents(TableEntity row)
    {
        var receivedAt = row.GetDateTimeOffset("AcceptedAt");
        var events = CompressedPayload.Read(row) as JsonArray ?? [];
        return [.. events.OfType<JsonObject>().Select(o => CustomerEvent.FromJson(o) with { ReceivedAt = receivedAt })];
    }

    private static string SignatureKey(AcceptedSignature s) => $"{SignaturePrefix}{KeyEncoding.Encode(s.Source)}:{s.Timestamp:D12}-{s.Hmac}";

    /// <summary>Rows whose keys start with <paramref name="prefix"/> (every prefix ends in ':', and ';' follows it).</summary>
    private static string RangeFilter(string prefix) =>
        TableClient.CreateQueryFilter($"PartitionKey eq {Partition} and RowKey ge {prefix} and RowKey lt {prefix[..^1] + ";"}");

    private static string Truncate(string error) => error.Length <= 1000 ? error : error[..1000];

    private bool PurgeIsDue()
    {
        var now = time.GetUtcNow();
        var due = Interlocked.Read(ref _nextPurgeTicks);
        return now.UtcTicks >= due && Interlocked.CompareExchange(ref _nextPurgeTicks, now.Add(PurgeInterval).UtcTicks, due) == due;
    }

    /// <summary>A signature is needed only until its timestamp leaves the window (after that the timestamp check rejects it anyway).</summary>
    private async Task PurgeExpiredSignaturesQuietlyAsync()
    {
        try
        {
            var now = time.GetUtcNow();
            var expired = _table.QueryAsync<TableEntity>($"{RangeFilter(SignaturePrefix)} and {TableClient.CreateQueryFilter($"ExpiresAt lt {now}")}",
                maxPerPage: 100, select: ["PartitionKey", "RowKey"]);
            var batch = new List<TableTransactionAction>(100);
            var purged = 0;
            await foreach (var row in expired)
            {
                batch.Add(new(TableTransactionActionType.Delete, row, ETag.All));
                if (batch.Count == 100)
                {
                    await _table.SubmitTransactionAsync(batch);
                    purged += batch.Count;
                    batch.Clear();
                    if (purged >= 10_000)
                    {
                        return;
                    }
                }
            }
            if (batch.Count > 0)
            {
                await _table.SubmitTransactionAsync(batch);
            }
        }
        catch (RequestFailedException)
        {
            // Storage is unwell, or a row went meanwhile; the next purge picks up what this one left.
        }
        catch (AggregateException)
        {
            // The SDK gave up retrying; likewise.
        }
    }
}
