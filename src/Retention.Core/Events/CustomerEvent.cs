using System.Text.Json.Nodes;

namespace Retention.Core.Events;

/// <summary>An event about a customer, from a core system (CloudEvent), an inbound SMS, a staff action or the runtime.</summary>
public sealed record CustomerEvent(string Id, string Source, string Type, DateTimeOffset Time, string CustomerId, JsonObject Data)
{
    /// <summary>Source and id together identify an event; a repeat is the same event.</summary>
    public string Key => $"{Source}|{Id}";

    /// <summary>
    /// When the service received it, where that is known (ingest sets it and the customer event log keeps it). An early
    /// event is buffered from then, whatever its own <see cref="Time"/> says.
    /// </summary>
    public DateTimeOffset? ReceivedAt { get; init; }

    public JsonObject ToJson() => new()
    {
        ["id"] = Id,
        ["source"] = Source,
        ["type"] = Type,
        ["time"] = Time.ToString("O"),
        ["customerId"] = CustomerId,
        ["data"] = Data.DeepClone(),
    };

    /// <summary>Reads what <see cref="ToJson"/> wrote.</summary>
    public static CustomerEvent FromJson(JsonObject o) => new(
        o["id"]!.GetValue<string>(), o["source"]!.GetValue<string>(), o["type"]!.GetValue<string>(),
        DateTimeOffset.Parse(o["time"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture),
        o["customerId"]!.GetValue<string>(), o["data"] as JsonObject ?? []);
}

/// <summary>Event types the runtime itself understands.</summary>
public static class KnownEventTypes
{
    public const string CustomerUpserted = "customer.upserted";
    public const string TransactionPosted = "transaction.posted";
    public const string SaleCompleted = "sale.completed";
    public const string SaleRefunded = "sale.refunded";
    public const string ComplaintOpened = "complaint.opened";
    public const string ComplaintResponded = "complaint.responded";
    public const string ComplaintStatusChanged = "complaint.status_changed";
    public const string ComplaintResolved = "complaint.resolved";
    public const string ComplaintReopened = "complaint.reopened";
    public const string ConsentChanged = "consent.changed";
    public const string SmsReceived = "sms.received";
    /// <summary>Raised by the customer pyramid's recomputation: <c>{customerId, from, to}</c>.</summary>
    public const string CustomerStatusChanged = "customer.status_changed";
    public const string CustomerTierChanged = "customer.tier_changed";
}
