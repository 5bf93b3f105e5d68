using System.Text.Json;
using Azure.Data.Tables;
using Azure;
using Retention.Core.Ports;
using Retention.Core.Reporting;
using Retention.Core.Runtime;

namespace Retention.Storage.Messages;

/// <summary>
/// One row per logical message, per customer: its status (sent, deferred until, suppressed because, delivered…),
/// the timeline's source for messages, and the record that makes a repeated send a no-op. Each write also counts the
/// message under its current channel, status and reason for the reports (<see cref="IFactCounters"/>), after the row
/// itself, so a write retried after a failure counts it then, and once.
/// </summary>
public sealed class MessageLog(StorageAccount account, IFactCounters counters, TimeProvider time) : IMessageLog
{
    public const string ProviderMessageKind = "message";

    private readonly TableClient _table = account.Table("messages");
    private readonly TableClient _lookups = account.Table("lookups");

    public async Task<MessageRecord?> GetAsync(string customerId, string sendKey, CancellationToken cancellationToken)
    {
        var response = await _table.GetEntityIfExistsAsync<TableEntity>(KeyEncoding.Encode(customerId), KeyEncoding.Encode(sendKey), cancellationToken: cancellationToken);
        return response.HasValue ? ToRecord(response.Value!) : null;
    }

    /// <param name="existing">The record as the caller read it, so recording costs one write.</param>
    public async Task RecordAsync(SendMessage send, MessageRecord? existing, string status, string? reason, DateTimeOffset? deferredUntil = null,
        string? providerMessageId = null, int? attempts = null, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var channel = send.Channel.ToString().ToLowerInvariant();
        await _table.UpsertEntityAsync(new TableEntity(KeyEncoding.Encode(send.CustomerId), KeyEncoding.Encode(send.SendKey))
        {
            ["SendKey"] = send.SendKey,
            ["CustomerId"] = send.CustomerId,
            ["Channel"] = channel,
            ["Category"] = send.Category.ToString().ToLowerInvariant(),
            ["Status"] = status,
            ["Reason"] = reason,
            ["DeferredUntil"] = deferredUntil,
            ["ProviderMessageId"] = providerMessageId ?? existing?.ProviderMessageId,
            ["JourneyId"] = send.JourneyId,
            ["InstanceId"] = send.InstanceId,
            ["StepId"] = send.StepId,
            ["Attempts"] = attempts ?? existing?.Attempts ?? 0,
            ["CreatedAt"] = existing?.CreatedAt ?? now,
            ["UpdatedAt"] = now,
            ["Send"] = JsonSerializer.Serialize<JourneyCommand>(send, CoreJsonContext.Default.JourneyCommand),
        }, TableUpdateMode.Replace, cancellationToken);
        await CountAsync(send.JourneyId, send.Version, existing?.CreatedAt ?? now, send.SendKey, channel, status, reason, cancellationToken);
        if (providerMessageId is not null)
        {
            await _lookups.UpsertEntityAsync(new TableEntity(ProviderMessageKind, KeyEncoding.Encode(providerMessageId))
            {
                ["CustomerId"] = send.CustomerId,
                ["SendKey"] = send.SendKey,
            }, TableUpdateMode.Replace, cancellationToken);
        }
    }

    /// <summary>A delivery report's status change, found by the provider's message id.</summary>
    public async Task<MessageRecord?> ReportAsync(string providerMessageId, string status, string? reason, CancellationToken cancellationToken)
    {
        var lookup = await _lookups.GetEntityIfExistsAsync<TableEntity>(ProviderMessageKind, KeyEncoding.Encode(providerMessageId), cancellationToken: cancellationToken);
        if (!lookup.HasValue)
        {
            return null;
        }
        var customerId = lookup.Value!.GetString("CustomerId")!;
        var sendKey = lookup.Value.GetString("SendKey")!;
        try
        {
            await _table.UpdateEntityAsync(new TableEntity(KeyEncoding.Encode(customerId), KeyEncoding.Encode(sendKey))
            {
                ["Status"] = status,
                ["Reason"] = reason,
                ["UpdatedAt"] = time.GetUtcNow(),
            }, ETag.All, TableUpdateMode.Merge, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
        var record = await GetAsync(customerId, sendKey, cancellationToken);
        if (record is not null)
        {
            await CountAsync(record.JourneyId, record.Send?.Version ?? 0, record.CreatedAt, sendKey, record.Channel, record.Status, record.Reason, cancellationToken);
        }
        return record;
    }

    /// <summary>Every logged message, one page at a time (<paramref name="pageSize"/> rows), for the counters' backfill.</summary>
    public async Task<(IReadOnlyList<MessageRecord> Records, string? ContinuationToken)> PageAsync(int pageSize, string? continuationToken, CancellationToken cancellationToken)
    {
        var page = await _table.ReadPageAsync(null, pageSize, continuationToken, ToRecord, cancellationToken);
        return (page.Items, page.ContinuationToken);
    }

    /// <summary>Counts the message, under the journey and the day it was first recorded, for its current channel, status and reason.</summary>
    public Task CountAsync(MessageRecord record, CancellationToken cancellationToken) =>
        CountAsync(record.JourneyId, record.Send?.Version ?? 0, record.CreatedAt, record.SendKey, record.Channel, record.Status, record.Reason, cancellationToken);

    private Task CountAsync(string journeyId, int version, DateTimeOffset createdAt, string sendKey, string channel, string status, string? reason,
        CancellationToken cancellationToken) =>
        counters.RecordAsync(new CountedFacts(journeyId, version, DateOnly.FromDateTime(createdAt.UtcDateTime), sendKey, [JourneyFacts.Message(channel, status, reason)]),
            cancellationToken);

    public async Task<IReadOnlyList<MessageRecord>> ForCustomerAsync(string customerId, CancellationToken cancellationToken)
    {
        var partition = KeyEncoding.Encode(customerId);
        var records = new List<MessageRecord>();
        await foreach (var e in _table.QueryAsync<TableEntity>(e => e.PartitionKey == partition, cancellationToken: cancellationToken))
        {
            records.Add(ToRecord(e));
        }
        return records;
    }

    private static MessageRecord ToRecord(TableEntity e) => new(
        e.GetString("CustomerId") ?? "", e.GetString("SendKey") ?? "", e.GetString("Channel") ?? "", e.GetString("Category") ?? "",
        e.GetString("Status") ?? "", e.GetString("Reason"), e.GetDateTimeOffset("DeferredUntil"), e.GetString("ProviderMessageId"),
        e.GetString("JourneyId") ?? "", e.GetString("InstanceId") ?? "", e.GetString("StepId") ?? "", e.GetInt32("Attempts") ?? 0,
        e.GetDateTimeOffset("CreatedAt") ?? default, e.GetDateTimeOffset("UpdatedAt") ?? default,
        e.GetString("Send") is { Length: > 0 } json ? JsonSerializer.Deserialize(json, CoreJsonContext.Default.JourneyCommand) as SendMessage : null);
}
