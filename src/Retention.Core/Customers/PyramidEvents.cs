using System.Text.Json.Nodes;
using Retention.Core.Events;

namespace Retention.Core.Customers;

/// <summary>
/// The customer events the pyramid raises, with ids derived from what caused them (a recomputation occurrence, or a
/// transaction), so raising one again is the same event and changes nothing.
/// </summary>
public static class PyramidEvents
{
    public const string Source = "pyramid";
    public const string StatusChanged = KnownEventTypes.CustomerStatusChanged;
    public const string TierChanged = KnownEventTypes.CustomerTierChanged;

    /// <param name="cause">What moved the customer: <c>{job}@{occurrence}</c> or <c>txn:{transactionId}</c>.</param>
    public static CustomerEvent StatusChangedEvent(string cause, string customerId, string? from, string to, DateTimeOffset at) =>
        Changed(StatusChanged, "status", cause, customerId, from, to, at);

    public static CustomerEvent TierChangedEvent(string cause, string customerId, string? from, string? to, DateTimeOffset at) =>
        Changed(TierChanged, "tier", cause, customerId, from, to, at);

    private static CustomerEvent Changed(string type, string what, string cause, string customerId, string? from, string? to, DateTimeOffset at) =>
        new($"{cause}:{what}:{customerId}", Source, type, at, customerId, new JsonObject { ["customerId"] = customerId, ["from"] = from, ["to"] = to });
}
