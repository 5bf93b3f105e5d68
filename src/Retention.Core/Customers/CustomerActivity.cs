using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Retention.Core.Conditions;
using Retention.Core.Events;

namespace Retention.Core.Customers;

/// <summary>One <c>transaction.posted</c>, as the customer's aggregates need it.</summary>
public sealed record PostedTransaction(string TransactionId, decimal Amount, DateTimeOffset OccurredAt, string? ProductCode)
{
    public static PostedTransaction Of(CustomerEvent e)
    {
        JsonNumbers.TryGetDecimal(e.Data["amount"], out var amount);
        var occurredAt = e.Data["occurredAt"] is JsonValue at && at.TryGetValue<string>(out var text)
            ? DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal)
            : e.Time;
        var product = e.Data["productCode"] is JsonValue code && code.TryGetValue<string>(out var productCode) ? productCode : null;
        return new PostedTransaction(e.Data["transactionId"]!.GetValue<string>(), amount, occurredAt, product);
    }

    /// <summary>The event as journeys see the customer's first payment: <c>event.data.firstPayment</c> is true.</summary>
    public static CustomerEvent MarkFirstPayment(CustomerEvent e)
    {
        var data = (JsonObject)e.Data.DeepClone();
        data["firstPayment"] = true;
        return e with { Data = data };
    }
}

/// <summary>
/// A customer's transaction aggregates: last activity, revenue per month (UTC months, the last 12 kept, so the
/// trailing-12-month revenue can be recomputed on any day without re-reading transactions), the distinct products
/// held, the first payment and the count. Pure; the caller makes applying a transaction idempotent.
/// </summary>
public sealed record CustomerActivity(
    DateTimeOffset? LastActivityAt,
    DateTimeOffset? FirstPaymentAt,
    string? FirstTransactionId,
    int Transactions,
    IReadOnlyDictionary<string, decimal> RevenueByMonth,
    IReadOnlyList<string> ProductCodes)
{
    public static readonly CustomerActivity None = new(null, null, null, 0, new Dictionary<string, decimal>(), []);

    /// <summary>
    /// The aggregates a customer snapshot shows (<see cref="CustomerSnapshot"/>); the revenue by month is not among them,
    /// so only transactions applied from here on count towards it.
    /// </summary>
    public static CustomerActivity Of(JsonObject snapshot) => new(
        Instant(snapshot["lastActivityAt"]),
        Instant(snapshot["firstPaymentAt"]),
        CustomerSnapshot.Text(snapshot, "firstTransactionId"),
        snapshot["transactions"] is JsonValue count && count.TryGetValue<int>(out var transactions) ? transactions : 0,
        new Dictionary<string, decimal>(),
        snapshot["productCodes"] is JsonArray codes ? [.. codes.OfType<JsonValue>().Select(c => c.GetValue<string>())] : []);

    /// <summary>Months kept in <see cref="RevenueByMonth"/>: the trailing window.</summary>
    public const int TrailingMonths = 12;

    public int Products => ProductCodes.Count;

    /// <summary>True when this transaction is the customer's first payment (the first with a positive amount).</summary>
    public bool IsFirstPayment(PostedTransaction transaction) => FirstPaymentAt is null && transaction.Amount > 0;

    public CustomerActivity Apply(PostedTransaction transaction, DateTimeOffset now)
    {
        var months = new Dictionary<string, decimal>(RevenueByMonth, StringComparer.Ordinal);
        var month = MonthKey(transaction.OccurredAt);
        if (string.CompareOrdinal(month, OldestMonthKept(now)) >= 0)
        {
            months[month] = months.GetValueOrDefault(month) + transaction.Amount;
        }
        var products = ProductCodes;
        if (transaction.ProductCode is { Length: > 0 } code && !ProductCodes.Contains(code, StringComparer.Ordinal))
        {
            products = [.. ProductCodes.Append(code).Order(StringComparer.Ordinal)];
        }
        var firstPayment = IsFirstPayment(transaction);
        return new CustomerActivity(
            LastActivityAt is { } last && last >= transaction.OccurredAt ? last : transaction.OccurredAt,
            firstPayment ? transaction.OccurredAt : FirstPaymentAt,
            firstPayment ? transaction.TransactionId : FirstTransactionId,
            Transactions + 1,
            Prune(months, now),
            products);
    }

    /// <summary>Revenue of the 12 calendar months ending with the current one (UTC).</summary>
    public decimal Revenue12m(DateTimeOffset now) => TrailingRevenue(RevenueByMonth, now);

    public static decimal TrailingRevenue(IEnumerable<KeyValuePair<string, decimal>> months, DateTimeOffset now)
    {
        var oldest = OldestMonthKept(now);
        var sum = 0m;
        foreach (var (month, amount) in months)
        {
            if (string.CompareOrdinal(month, oldest) >= 0)
            {
                sum += amount;
            }
        }
        return sum;
    }

    public static string MonthKey(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM", CultureInfo.InvariantCulture);

    private static string OldestMonthKept(DateTimeOffset now) => MonthKey(new DateTimeOffset(now.UtcDateTime.Year, now.UtcDateTime.Month, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(1 - TrailingMonths));

    private static DateTimeOffset? Instant(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<string>(out var text) && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at) ? at : null;

    private static Dictionary<string, decimal> Prune(Dictionary<string, decimal> months, DateTimeOffset now)
    {
        var oldest = OldestMonthKept(now);
        foreach (var old in months.Keys.Where(m => string.CompareOrdinal(m, oldest) < 0).ToList())
        {
            months.Remove(old);
        }
        return months;
    }

    /// <summary>The months as stored on the customer's row: <c>{"2026-03":1200.5}</c>.</summary>
    public static string WriteMonths(IReadOnlyDictionary<string, decimal> months)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (month, amount) in months.OrderBy(m => m.Key, StringComparer.Ordinal))
            {
                writer.WriteNumber(month, amount);
            }
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static Dictionary<string, decimal> ReadMonths(string? json)
    {
        var months = new Dictionary<string, decimal>(StringComparer.Ordinal);
        if (string.IsNullOrEmpty(json))
        {
            return months;
        }
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json));
        string? month = null;
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.PropertyName)
            {
                month = reader.GetString();
            }
            else if (reader.TokenType == JsonTokenType.Number && month is not null)
            {
                months[month] = reader.GetDecimal();
            }
        }
        return months;
    }

    /// <summary>The trailing revenue straight from the stored text, without building a dictionary: the pyramid scan's hot path.</summary>
    public static decimal TrailingRevenue(string? json, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(json))
        {
            return 0m;
        }
        var oldest = OldestMonthKept(now);
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json));
        var counts = false;
        var sum = 0m;
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.PropertyName)
            {
                counts = string.CompareOrdinal(reader.GetString(), oldest) >= 0;
            }
            else if (reader.TokenType == JsonTokenType.Number && counts)
            {
                sum += reader.GetDecimal();
            }
        }
        return sum;
    }
}
