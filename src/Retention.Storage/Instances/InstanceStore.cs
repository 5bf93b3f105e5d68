using System.Text;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Retention.Core.Runtime;

namespace Retention.Storage.Instances;

/// <summary>An instance as read from storage: its state, the outbox its last commit left, and the ETag that fences the next write.</summary>
public sealed record StoredInstance(JourneyInstanceState State, IReadOnlyList<JourneyCommand> Outbox, ETag ETag);

/// <summary>A page of instance summaries and the token for the next page.</summary>
public sealed record InstancePage(IReadOnlyList<JourneyInstanceState> Items, string? ContinuationToken);

/// <summary>
/// Instances in Table Storage, one partition per instance: the state row and its history rows. A commit writes the
/// state, its outbox and the new history in one entity-group transaction guarded by the state row's ETag.
/// </summary>
public sealed class InstanceStore(StorageAccount account)
{
    private const string StateRow = "state";
    private const int ChunkChars = 30_000; // a table string property holds 32K UTF-16 characters
    private const int MaxChunks = 25;
    private const int MaxHistoryRowsPerCommit = 90; // an entity-group transaction holds 100 actions

    private readonly TableClient _table = account.Table("instances");

    public async Task<StoredInstance?> GetAsync(string instanceId, CancellationToken cancellationToken)
    {
        var response = await _table.GetEntityIfExistsAsync<TableEntity>(KeyEncoding.Encode(instanceId), StateRow, cancellationToken: cancellationToken);
        return response.HasValue ? ToStored(response.Value!) : null;
    }

    /// <summary>
    /// Commits an interpretation. Returns the stored instance with its new ETag, or null when another writer got there
    /// first (412 on update, 409 on create): the caller reloads and interprets again.
    /// </summary>
    public async Task<StoredInstance?> CommitAsync(StoredInstance? previous, InterpretResult result, CancellationToken cancellationToken)
    {
        var state = result.State;
        var partition = KeyEncoding.Encode(state.InstanceId);
        var entity = ToEntity(partition, state, result.Commands);
        var actions = new List<TableTransactionAction>
        {
            previous is null
                ? new TableTransactionAction(TableTransactionActionType.Add, entity)
                : new TableTransactionAction(TableTransactionActionType.UpdateReplace, entity, previous.ETag),
        };
        var firstSeq = state.HistoryCount - result.History.Count;
        var history = result.History.Count <= MaxHistoryRowsPerCommit
            ? result.History
            : [.. result.History.Take(MaxHistoryRowsPerCommit - 1), new HistoryEntry(result.History[^1].At, "truncated", null, $"{result.History.Count - MaxHistoryRowsPerCommit + 1} more entries")];
        for (var i = 0; i < history.Count; i++)
        {
            var h = history[i];
            actions.Add(new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(partition, HistoryRow(firstSeq + i))
            {
                ["At"] = h.At,
                ["Kind"] = h.Kind,
                ["StepId"] = h.StepId,
                ["Detail"] = Truncate(h.Detail, 2000),
            }));
        }
        try
        {
            var response = await _table.SubmitTransactionAsync(actions, cancellationToken);
            return new StoredInstance(state, result.Commands, response.Value[0].Headers.ETag ?? default);
        }
        catch (TableTransactionFailedException e) when (e.Status is 409 or 412)
        {
            return null;
        }
    }

    /// <summary>Marks the outbox carried out. Returns the new ETag, or null when the instance has moved on meanwhile.</summary>
    public async Task<ETag?> ClearOutboxAsync(StoredInstance stored, CancellationToken cancellationToken)
    {
        var entity = new TableEntity(KeyEncoding.Encode(stored.State.InstanceId), StateRow) { ["Outbox"] = "" };
        try
        {
            var response = await _table.UpdateEntityAsync(entity, stored.ETag, TableUpdateMode.Merge, cancellationToken);
            return response.Headers.ETag;
        }
        catch (RequestFailedException e) when (e.Status is 412 or 404)
        {
            return null;
        }
    }

    public async Task<IReadOnlyList<HistoryEntry>> HistoryAsync(string instanceId, int take, CancellationToken cancellationToken)
    {
        var partition = KeyEncoding.Encode(instanceId);
        var entries = new List<HistoryEntry>();
        var query = _table.QueryAsync<TableEntity>(e => e.PartitionKey == partition && e.RowKey.CompareTo("h") >= 0 && e.RowKey.CompareTo("i") < 0, cancellationToken: cancellationToken);
        await foreach (var e in query)
        {
            entries.Add(new HistoryEntry(e.GetDateTimeOffset("At") ?? default, e.GetString("Kind") ?? "", e.GetString("StepId"), e.GetString("Detail") ?? ""));
            if (entries.Count >= take)
            {
                break;
            }
        }
        return entries;
    }

    /// <summary>Lists instances, filtered by journey and status; newest-first order is not guaranteed across pages.</summary>
    public async Task<InstancePage> QueryAsync(string? journeyId, InstanceStatus? status, int pageSize, string? continuationToken, CancellationToken cancellationToken)
    {
        var filter = $"RowKey eq '{StateRow}'";
        if (journeyId is not null)
        {
            filter += $" and JourneyId eq '{journeyId.Replace("'", "''", StringComparison.Ordinal)}'";
        }
        if (status is not null)
        {
            filter += $" and Status eq '{status}'";
        }
        await foreach (var page in _table.QueryAsync<TableEntity>(filter, pageSize, cancellationToken: cancellationToken).AsPages(continuationToken, pageSize))
        {
            return new InstancePage(page.Values.Select(e => ToStored(e).State).ToList(), page.ContinuationToken);
        }
        return new InstancePage([], null);
    }

    /// <summary>Deletes an instance and its history.</summary>
    public async Task PurgeAsync(string instanceId, CancellationToken cancellationToken)
    {
        var partition = KeyEncoding.Encode(instanceId);
        var keys = new List<string>();
        await foreach (var e in _table.QueryAsync<TableEntity>(e => e.PartitionKey == partition, select: ["RowKey"], cancellationToken: cancellationToken))
        {
            keys.Add(e.RowKey);
        }
        foreach (var chunk in keys.Chunk(100))
        {
            await _table.SubmitTransactionAsync(chunk.Select(k => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(partition, k))), cancellationToken);
        }
    }

    private static string HistoryRow(int seq) => $"h{seq:D8}";

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..max];

    private static TableEntity ToEntity(string partition, JourneyInstanceState state, IReadOnlyList<JourneyCommand> outbox)
    {
        var entity = new TableEntity(partition, StateRow)
        {
            ["InstanceId"] = state.InstanceId,
            ["JourneyId"] = state.JourneyId,
            ["Version"] = state.Version,
            ["CustomerId"] = state.CustomerId,
            ["Status"] = state.Status.ToString(),
            ["CurrentStepId"] = state.CurrentStepId,
            ["TimerDueAt"] = state.Timer?.DueAt,
            ["Converted"] = state.Converted, // projected by the journey list's counts
            ["Holdout"] = state.Holdout,
            ["UpdatedAt"] = state.UpdatedAt,
            ["Outbox"] = outbox.Count == 0 ? "" : JsonSerializer.Serialize(outbox.ToList(), CoreJsonContext.Default.ListJourneyCommand),
        };
        WriteChunks(entity, "State", JsonSerializer.Serialize(state, CoreJsonContext.Default.JourneyInstanceState));
        return entity;
    }

    private static StoredInstance ToStored(TableEntity entity)
    {
        var state = JsonSerializer.Deserialize(ReadChunks(entity, "State"), CoreJsonContext.Default.JourneyInstanceState)!;
        var outboxJson = entity.GetString("Outbox");
        var outbox = string.IsNullOrEmpty(outboxJson) ? [] : JsonSerializer.Deserialize(outboxJson, CoreJsonContext.Default.ListJourneyCommand)!;
        return new StoredInstance(state, outbox, entity.ETag);
    }

    /// <summary>Large JSON is split over several string properties; an entity may hold up to 1 MiB.</summary>
    private static void WriteChunks(TableEntity entity, string name, string json)
    {
        var chunks = (json.Length + ChunkChars - 1) / ChunkChars;
        if (chunks > MaxChunks)
        {
            throw new InvalidOperationException($"Instance state of {json.Length} characters is over the {ChunkChars * MaxChunks} limit.");
        }
        for (var i = 0; i < chunks; i++)
        {
            entity[i == 0 ? name : $"{name}{i}"] = json.Substring(i * ChunkChars, Math.Min(ChunkChars, json.Length - (i * ChunkChars)));
        }
    }

    private static string ReadChunks(TableEntity entity, string name)
    {
        var builder = new StringBuilder(entity.GetString(name));
        for (var i = 1; entity.GetString($"{name}{i}") is { } part; i++)
        {
            builder.Append(part);
        }
        return builder.ToString();
    }
}
