using System.Text.Json.Nodes;
using Retention.Core.Events;

namespace Retention.Core.Customers;

/// <summary>
/// What an event changes in a customer's profile. The stored profile, an instance's copy and a simulation's profile
/// all change by this one rule.
/// </summary>
public abstract record ProfileChange
{
    /// <summary>Whether an event of this type may change a profile: <see cref="Of"/> is null for every other type.</summary>
    public static bool MayChange(string eventType) => eventType is KnownEventTypes.CustomerUpserted or KnownEventTypes.ConsentChanged
        or KnownEventTypes.CustomerStatusChanged or KnownEventTypes.CustomerTierChanged;

    /// <summary>The change <paramref name="e"/> makes, or null when it changes no profile field.</summary>
    public static ProfileChange? Of(CustomerEvent e) => e.Type switch
    {
        KnownEventTypes.CustomerUpserted => new ProfileMerge(WithoutCustomerId(e.Data)),
        KnownEventTypes.ConsentChanged when Text(e.Data["channel"]) is { } channel && Text(e.Data["status"]) is { } status =>
            new ConsentChange(channel, status),
        KnownEventTypes.CustomerStatusChanged when Text(e.Data["to"]) is { } status => new SegmentChange("status", status),
        KnownEventTypes.CustomerTierChanged when Text(e.Data["to"]) is { } tier => new SegmentChange("tier", tier),
        _ => null,
    };

    /// <summary>Whether a change older than the one the profile last took is stale and left out (out-of-order webhooks).</summary>
    public virtual bool IsOrderedByTime => false;

    public abstract void ApplyTo(JsonObject profile);

    private static JsonObject WithoutCustomerId(JsonObject data)
    {
        var changes = (JsonObject)data.DeepClone();
        changes.Remove("customerId");
        return changes;
    }

    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}

/// <summary>A <c>customer.upserted</c> payload: present fields replace, <c>attributes</c> merge by key.</summary>
public sealed record ProfileMerge(JsonObject Changes) : ProfileChange
{
    public override bool IsOrderedByTime => true;

    public override void ApplyTo(JsonObject profile) => CustomerSnapshot.Merge(profile, Changes);
}

/// <summary>Consent on one channel, applied whatever its time: an opt-out is honoured at once.</summary>
public sealed record ConsentChange(string Channel, string Status) : ProfileChange
{
    public override void ApplyTo(JsonObject profile)
    {
        if (profile["consent"] is not JsonObject consent)
        {
            profile["consent"] = consent = [];
        }
        consent[Channel] = Status;
    }
}

/// <summary>The customer's <c>status</c> or <c>tier</c> as a status or tier change announces it.</summary>
public sealed record SegmentChange(string Field, string Value) : ProfileChange
{
    public override void ApplyTo(JsonObject profile) => profile[Field] = Value;
}
