using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Retention.Core.Customers;

namespace Retention.Storage.Customers;

/// <summary>
/// The customer's row in the <c>customers</c> table (partition = customer id, row key <c>profile</c>): the profile
/// JSON, and beside it the columns that transactions and the pyramid own. Profile writes merge only their own
/// columns, so neither side overwrites the other. Each transaction applied has its own row (<c>txn-…</c>) in the same
/// partition, written in one entity-group transaction with the aggregates.
/// </summary>
public static class CustomerRow
{
    public const string ProfileRowKey = "profile";
    public const string TransactionRowPrefix = "txn-";

    /// <summary>Selects only customer rows in a table scan, not their transaction rows.</summary>
    public const string ProfileRowsFilter = "RowKey eq 'profile'";

    public const string Profile = "Profile";
    public const string Status = "Status";
    public const string Tier = "Tier";
    public const string LastActivityAt = "LastActivityAt";
    public const string FirstPaymentAt = "FirstPaymentAt";
    public const string FirstTransactionId = "FirstTransactionId";
    public const string Transactions = "Transactions";
    public const string RevenueMonths = "RevenueMonths";
    public const string ProductCodes = "ProductCodes";
    public const string Products = "Products";

    /// <summary>The recomputation occurrence that last changed status or tier, with what they were: lets a rerun re-raise its events.</summary>
    public const string PlacedBy = "PlacedBy";
    public const string PreviousStatus = "PreviousStatus";
    public const string PreviousTier = "PreviousTier";

    /// <summary>The columns a snapshot reads.</summary>
    public static readonly string[] SnapshotColumns =
        ["PartitionKey", Profile, Status, Tier, LastActivityAt, FirstPaymentAt, FirstTransactionId, Transactions, RevenueMonths, ProductCodes];

    public static CustomerActivity Activity(TableEntity row)
    {
        var codes = JsonNode.Parse(row.GetString(ProductCodes) ?? "[]") as JsonArray ?? [];
        return new CustomerActivity(
            row.GetDateTimeOffset(LastActivityAt),
            row.GetDateTimeOffset(FirstPaymentAt),
            row.GetString(FirstTransactionId),
            row.GetInt32(Transactions) ?? 0,
            CustomerActivity.ReadMonths(row.GetString(RevenueMonths)),
            [.. codes.Select(c => c!.GetValue<string>())]);
    }

    /// <summary>The aggregate columns for <paramref name="activity"/>.</summary>
    public static void WriteActivity(TableEntity row, CustomerActivity activity)
    {
        row[LastActivityAt] = activity.LastActivityAt;
        row[FirstPaymentAt] = activity.FirstPaymentAt;
        row[FirstTransactionId] = activity.FirstTransactionId;
        row[Transactions] = activity.Transactions;
        row[RevenueMonths] = CustomerActivity.WriteMonths(activity.RevenueByMonth);
        row[ProductCodes] = new JsonArray([.. activity.ProductCodes.Select(c => JsonValue.Create(c))]).ToJsonString();
        row[Products] = activity.Products;
    }

    /// <summary>
    /// The customer as journeys see it: the profile JSON with the pyramid's <c>status</c> and <c>tier</c> and the
    /// aggregates laid over it (<c>lastActivityAt</c>, <c>revenue12m</c> as of <paramref name="now"/>, <c>products</c>,
    /// <c>productCodes</c>, <c>transactions</c>, <c>firstPaymentAt</c>, <c>firstTransactionId</c>).
    /// </summary>
    public static JsonObject Snapshot(TableEntity row, string customerId, DateTimeOffset now)
    {
        var profile = JsonNode.Parse(row.GetString(Profile) ?? "{}") as JsonObject ?? CustomerSnapshot.Empty(customerId);
        if (profile.Count == 0)
        {
            profile = CustomerSnapshot.Empty(customerId);
        }
        var activity = Activity(row);
        var status = Pyramid.EffectiveStatus(row.GetString(Status), activity.LastActivityAt);
        if (status is not null)
        {
            profile["status"] = status;
        }
        if (row.GetString(Tier) is { } tier)
        {
            profile["tier"] = tier;
        }
        profile["lastActivityAt"] = activity.LastActivityAt?.ToString("O");
        profile["revenue12m"] = activity.Revenue12m(now);
        profile["products"] = activity.Products;
        profile["productCodes"] = new JsonArray([.. activity.ProductCodes.Select(c => JsonValue.Create(c))]);
        profile["transactions"] = activity.Transactions;
        profile["firstPaymentAt"] = activity.FirstPaymentAt?.ToString("O");
        profile["firstTransactionId"] = activity.FirstTransactionId;
        return profile;
    }
}
