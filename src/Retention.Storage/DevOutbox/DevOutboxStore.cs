using Azure;
using Azure.Data.Tables;
using Retention.Core.Runtime;

namespace Retention.Storage.DevOutbox;

/// <summary>A message the dev outbox "sent", as <c>GET /api/dev/outbox</c> returns it.</summary>
public sealed record OutboxMessage(string Id, string Channel, string To, string Body, string? Subject, string JourneyId, string InstanceId,
    string StepId, string CustomerId, DateTimeOffset SentAt);

/// <summary>
/// The local stand-in for SMS and email: messages are stored, keyed by their send key, so a retried send is
/// recognised and never stored twice.
/// </summary>
public sealed class DevOutboxStore(StorageAccount account)
{
    private const string Partition = "outbox";
    private readonly TableClient _table = account.Table("devoutbox");

    /// <returns>false when a message with this id was stored before.</returns>
    public async Task<bool> AddAsync(OutboxMessage message, CancellationToken cancellationToken)
    {
        try
        {
            await _table.AddEntityAsync(new TableEntity(Partition, KeyEncoding.Encode(message.Id))
            {
                ["Id"] = message.Id,
                ["Channel"] = message.Channel,
                ["To"] = message.To,
                ["Body"] = message.Body,
                ["Subject"] = message.Subject,
                ["JourneyId"] = message.JourneyId,
                ["InstanceId"] = message.InstanceId,
                ["StepId"] = message.StepId,
                ["CustomerId"] = message.CustomerId,
                ["SentAt"] = message.SentAt,
            }, cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return false;
        }
    }

    /// <summary>One page of the messages "sent" (to an address, on a channel, for a customer when given), in the order they were sent within the page.</summary>
    public async Task<TablePage<OutboxMessage>> ListAsync(string? to, string? channel, string? customerId, int pageSize, string? continuationToken,
        CancellationToken cancellationToken)
    {
        var filter = $"PartitionKey eq '{Partition}'";
        if (to is not null)
        {
            filter += $" and To eq '{Escape(to)}'";
        }
        if (channel is not null)
        {
            filter += $" and Channel eq '{Escape(channel)}'";
        }
        if (customerId is not null)
        {
            filter += $" and CustomerId eq '{Escape(customerId)}'";
        }
        var page = await _table.ReadPageAsync(filter, pageSize, continuationToken, e => new OutboxMessage(e.GetString("Id") ?? "", e.GetString("Channel") ?? "",
            e.GetString("To") ?? "", e.GetString("Body") ?? "", e.GetString("Subject"), e.GetString("JourneyId") ?? "", e.GetString("InstanceId") ?? "",
            e.GetString("StepId") ?? "", e.GetString("CustomerId") ?? "", e.GetDateTimeOffset("SentAt") ?? default), cancellationToken);
        return page with { Items = [.. page.Items.OrderBy(m => m.SentAt).ThenBy(m => m.Id, StringComparer.Ordinal)] };
    }

    private static string Escape(string value) => value.Replace("'", "''", StringComparison.Ordinal);
}
