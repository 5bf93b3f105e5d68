using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Azure;
using Retention.Core.Events;
using Retention.Core.Ports;
using Retention.Core.Runtime;

namespace Retention.Storage.Customers;

/// <summary>
/// Every accepted event, per customer in time order: the customer's timeline, and where a journey that starts later
/// finds an event that arrived before it (an early event).
/// </summary>
public sealed class CustomerEventLog(StorageAccount account) : Retention.Journeys.IRecentCustomerEvents, ICustomerEventLog
{
    private readonly TableClient _table = account.Table("customerevents");

    public async Task AppendAsync(CustomerEvent received, CancellationToken cancellationToken)
    {
        try
        {
            await _table.AddEntityAsync(new TableEntity(KeyEncoding.Encode(received.CustomerId), RowKey(received.Time, received.Key))
            {
                ["Type"] = received.Type,
                ["Event"] = received.ToJson().ToJsonString(),
                ["ReceivedAt"] = received.ReceivedAt ?? received.Time,
            }, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            // Already logged: a redelivery.
        }
    }

    /// <summary>
    /// The customer's events received at or after <paramref name="since"/>, in the order of their own times. Measured by
    /// receipt, not by the event's time, so a producer's clock can neither keep an event in reach longer nor hide it;
    /// rows written before receipt was recorded are read by their event time.
    /// </summary>
    public async Task<IReadOnlyList<CustomerEvent>> SinceAsync(string customerId, DateTimeOffset since, int take, CancellationToken cancellationToken)
    {
        var partition = KeyEncoding.Encode(customerId);
        var filter = since <= StorageMinimum
            ? TableClient.CreateQueryFilter($"PartitionKey eq {partition}")
            : TableClient.CreateQueryFilter($"PartitionKey eq {partition} and (ReceivedAt ge {since} or RowKey ge {$"{since.UtcTicks:D19}"})");
        var events = new List<CustomerEvent>();
        await foreach (var e in _table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            var receivedAt = e.GetDateTimeOffset("ReceivedAt");
            if (receivedAt < since)
            {
                continue; // its own time is recent, but it was received before the window
            }
            if (Parse(e.GetString("Event")) is { } parsed)
            {
                events.Add(parsed with { ReceivedAt = receivedAt });
            }
            if (events.Count >= take)
            {
                break;
            }
        }
        return events;
    }

    /// <summary>The earliest time Azure Tables can hold; anything before it means "from the beginning".</summary>
    private static readonly DateTimeOffset StorageMinimum = new(1601, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static string RowKey(DateTimeOffset time, string key) => $"{time.UtcTicks:D19}-{StableHash.Hex(key)}";

    public static CustomerEvent? Parse(string? json) =>
        json is not null && JsonNode.Parse(json) is JsonObject o ? CustomerEvent.FromJson(o) : null;
}
