using System.Text.Json.Nodes;
using Azure;
using Azure.Data.Tables;
using Retention.Core.Events;
using Retention.Core.Runtime;

namespace Retention.Storage.Customers;

/// <summary>
/// Every accepted event, per customer in time order: the customer's timeline, and where a journey that starts later
/// finds an event that arrived before it (an early event).
/// </summary>
public sealed class CustomerEventLog(StorageAccount account)
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
            }, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            // Already logged: a redelivery.
        }
    }

    public async Task<IReadOnlyList<CustomerEvent>> SinceAsync(string customerId, DateTimeOffset since, int take, CancellationToken cancellationToken)
    {
        var partition = KeyEncoding.Encode(customerId);
        var from = $"{since.UtcTicks:D19}";
        var events = new List<CustomerEvent>();
        await foreach (var e in _table.QueryAsync<TableEntity>(e => e.PartitionKey == partition && e.RowKey.CompareTo(from) >= 0, cancellationToken: cancellationToken))
        {
            if (Parse(e.GetString("Event")) is { } parsed)
            {
                events.Add(parsed);
            }
            if (events.Count >= take)
            {
                break;
            }
        }
        return events;
    }

    private static string RowKey(DateTimeOffset time, string key) => $"{time.UtcTicks:D19}-{StableHash.Hex(key)}";

    public static CustomerEvent? Parse(string? json)
    {
        if (json is null || JsonNode.Parse(json) is not JsonObject o)
        {
            return null;
        }
        return new CustomerEvent(
            o["id"]!.GetValue<string>(), o["source"]!.GetValue<string>(), o["type"]!.GetValue<string>(),
            DateTimeOffset.Parse(o["time"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture),
            o["customerId"]!.GetValue<string>(), o["data"] as JsonObject ?? []);
    }
}
