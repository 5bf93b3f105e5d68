using System.Text.Json.Nodes;
using Azure;
using Azure.Data.Tables;
using Retention.Core.Ports;
using Retention.Core.Runtime;

namespace Retention.Storage.Scheduling;

/// <summary>
/// Which occurrence of each schedule has run. An occurrence is claimed by creating its row — (schedule, due time) —
/// which only one replica can do, so each runs once however many hosts tick.
/// </summary>
public sealed class ScheduleLedger(StorageAccount account, TimeProvider time) : IScheduleLedger
{
    private const string LastRow = "last";
    private const string ResultRow = "result";
    private readonly TableClient _table = account.Table("schedules");

    /// <returns>true when this caller won the occurrence and must run it.</returns>
    public async Task<bool> TryClaimAsync(string schedule, DateTimeOffset occurrence, CancellationToken cancellationToken)
    {
        try
        {
            await _table.AddEntityAsync(new TableEntity(KeyEncoding.Encode(schedule), $"run-{occurrence.UtcTicks:D19}")
            {
                ["Occurrence"] = occurrence,
                ["ClaimedAt"] = time.GetUtcNow(),
                ["ClaimedBy"] = Environment.MachineName,
            }, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return false;
        }
        await _table.UpsertEntityAsync(new TableEntity(KeyEncoding.Encode(schedule), LastRow) { ["Occurrence"] = occurrence }, TableUpdateMode.Replace, cancellationToken);
        return true;
    }

    public async Task<DateTimeOffset?> LastRunAsync(string schedule, CancellationToken cancellationToken)
    {
        var response = await _table.GetEntityIfExistsAsync<TableEntity>(KeyEncoding.Encode(schedule), LastRow, cancellationToken: cancellationToken);
        return response.HasValue ? response.Value!.GetDateTimeOffset("Occurrence") : null;
    }

    public async Task<IReadOnlyList<DateTimeOffset>> RunsAsync(string schedule, CancellationToken cancellationToken)
    {
        var partition = KeyEncoding.Encode(schedule);
        var runs = new List<DateTimeOffset>();
        await foreach (var e in _table.QueryAsync<TableEntity>(e => e.PartitionKey == partition && e.RowKey.CompareTo("run-") >= 0, cancellationToken: cancellationToken))
        {
            runs.Add(e.GetDateTimeOffset("Occurrence") ?? default);
        }
        return runs;
    }

    /// <summary>Records an operator's run outside the schedule; it does not move the schedule's last occurrence.</summary>
    public Task RecordManualRunAsync(string schedule, DateTimeOffset at, CancellationToken cancellationToken) =>
        _table.UpsertEntityAsync(new TableEntity(KeyEncoding.Encode(schedule), $"manual-{at.UtcTicks:D19}")
        {
            ["Occurrence"] = at,
            ["ClaimedAt"] = time.GetUtcNow(),
            ["ClaimedBy"] = Environment.MachineName,
        }, TableUpdateMode.Replace, cancellationToken);

    /// <summary>Records that an occurrence completed, with its figures: the schedule's latest result.</summary>
    public Task RecordResultAsync(string schedule, DateTimeOffset occurrence, bool manual, DateTimeOffset completedAt, JsonObject figures, CancellationToken cancellationToken) =>
        _table.UpsertEntityAsync(new TableEntity(KeyEncoding.Encode(schedule), ResultRow)
        {
            ["Occurrence"] = occurrence,
            ["Manual"] = manual,
            ["CompletedAt"] = completedAt,
            ["Figures"] = figures.ToJsonString(),
        }, TableUpdateMode.Replace, cancellationToken);

    public async Task<ScheduleResult?> LastResultAsync(string schedule, CancellationToken cancellationToken)
    {
        var response = await _table.GetEntityIfExistsAsync<TableEntity>(KeyEncoding.Encode(schedule), ResultRow, cancellationToken: cancellationToken);
        if (!response.HasValue)
        {
            return null;
        }
        var row = response.Value!;
        return new ScheduleResult(row.GetDateTimeOffset("Occurrence") ?? default, row.GetBoolean("Manual") ?? false, row.GetDateTimeOffset("CompletedAt") ?? default,
            JsonNode.Parse(row.GetString("Figures") ?? "{}") as JsonObject ?? []);
    }
}
