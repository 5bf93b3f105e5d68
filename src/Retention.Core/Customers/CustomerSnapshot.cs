using System.Text.Json.Nodes;

namespace Retention.Core.Customers;

/// <summary>
/// The customer as a journey sees it: a JSON object with the profile fields of <c>customer.upserted</c>
/// (customerId, name, phone, email, locale, timeZone, birthday, ownerId, region, consent, attributes, tags,
/// status, tier). Journeys read it by path, and templates render from it.
/// </summary>
public static class CustomerSnapshot
{
    /// <summary>The profile fields a template may name (customer.upserted, plus what the runtime adds).</summary>
    public static readonly string[] Fields =
        ["customerId", "name", "phone", "email", "locale", "timeZone", "birthday", "ownerId", "region", "status", "tier", "attributes", "consent", "tags"];

    /// <summary>Consent on a channel the customer never gave nor refused.</summary>
    public const string UnknownConsent = "unknown";

    /// <summary>The channels consent is kept for, as <c>customer.upserted</c> and <c>consent.changed</c> name them.</summary>
    public static readonly IReadOnlyList<string> ConsentChannels = ["sms", "email"];

    public static JsonObject Empty(string customerId) => new() { ["customerId"] = customerId, ["attributes"] = new JsonObject(), ["tags"] = new JsonArray() };

    /// <summary>Merges a partial profile into the snapshot: present fields replace, <c>attributes</c> merge by key.</summary>
    public static void Merge(JsonObject snapshot, JsonObject changes)
    {
        foreach (var (key, value) in changes)
        {
            if (key == "attributes" && value is JsonObject attributes)
            {
                var target = Attributes(snapshot);
                foreach (var (name, attribute) in attributes)
                {
                    target[name] = attribute?.DeepClone();
                }
            }
            else
            {
                snapshot[key] = value?.DeepClone();
            }
        }
    }

    public static JsonObject Attributes(JsonObject snapshot) => Member(snapshot, "attributes", () => new JsonObject());

    public static JsonArray Tags(JsonObject snapshot) => Member(snapshot, "tags", () => new JsonArray());

    /// <summary>The snapshot's object or array member, created empty when it is missing or of another kind.</summary>
    private static T Member<T>(JsonObject snapshot, string name, Func<T> create) where T : JsonNode
    {
        if (snapshot[name] is T existing)
        {
            return existing;
        }
        var created = create();
        snapshot[name] = created;
        return created;
    }

    public static string? Text(JsonObject snapshot, string field) =>
        snapshot[field] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    /// <summary>Consent on <paramref name="channel"/> as last given, <see cref="UnknownConsent"/> when never given.</summary>
    public static string Consent(JsonObject snapshot, string channel) =>
        (snapshot["consent"] as JsonObject)?[channel] is JsonValue v && v.TryGetValue<string>(out var c) ? c : UnknownConsent;

    /// <summary>
    /// The customer as the admin API returns it: the snapshot with <c>status</c>, <c>tier</c> and consent on every
    /// channel always present, null or <see cref="UnknownConsent"/> when the service has none yet. A tier ranks active
    /// customers only, so it is null unless the customer is active; a dormant customer's last tier (which the
    /// reactivation journey still branches on) is <c>lastTier</c>.
    /// </summary>
    public static JsonObject AsResource(JsonObject snapshot)
    {
        var resource = (JsonObject)snapshot.DeepClone();
        resource.TryAdd("status", null);
        var tier = resource["tier"]?.DeepClone();
        var active = resource["status"] is JsonValue status && status.TryGetValue<string>(out var s) && s == CustomerStatus.Active;
        resource["tier"] = active ? tier : null;
        if (!active && tier is not null)
        {
            resource["lastTier"] = tier;
        }
        var consent = resource["consent"] as JsonObject ?? [];
        foreach (var channel in ConsentChannels)
        {
            consent[channel] = Consent(resource, channel);
        }
        resource["consent"] = consent;
        return resource;
    }
}
