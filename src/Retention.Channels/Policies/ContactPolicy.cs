using System.Globalization;
using System.Text.Json.Nodes;
using Retention.Core.Customers;
using Retention.Core.Definitions;
using Retention.Core.Runtime;
using Retention.Core.Time;

namespace Retention.Channels.Policies;

public abstract record ContactDecision;

public sealed record Allow(MessageChannel Channel, string To) : ContactDecision;

public sealed record Defer(DateTimeOffset Until, string Reason) : ContactDecision;

public sealed record Suppress(string Reason) : ContactDecision;

/// <summary>
/// The rules of good conduct, in one place and free of I/O: an address to reach, consent for marketing, expiry of
/// held-back messages, and quiet hours in the customer's local time. Frequency caps need the contact ledger and are
/// applied by the sender after this says yes.
/// </summary>
public sealed class ContactPolicy(ContactPolicyOptions options, TimeZoneInfo defaultZone)
{
    public ContactPolicyOptions Options => options;

    public ContactDecision Evaluate(SendMessage send, JsonObject customer, DateTimeOffset now)
    {
        var channel = send.Channel;
        var to = Address(customer, channel);
        if (to is null)
        {
            return new Suppress($"the customer has no {(channel == MessageChannel.Sms ? "phone number" : "email address")}");
        }
        var channelName = Name(channel);
        if (send.Category == MessageCategory.Marketing)
        {
            var consent = (customer["consent"] as JsonObject)?[channelName] is JsonValue v && v.TryGetValue<string>(out var c) ? c : "unknown";
            if (consent == "opted-out" || (consent != "opted-in" && !options.MarketingToUnknownConsent))
            {
                return new Suppress($"no marketing consent for {channelName} ({consent})");
            }
        }
        if (now > ExpiresAt(send))
        {
            return new Suppress($"expired at {ExpiresAt(send):O} while held back");
        }
        if (QuietUntil(send.Category, customer, now) is { } quietEnd)
        {
            return quietEnd > ExpiresAt(send)
                ? new Suppress("quiet hours last past the message's expiry")
                : new Defer(quietEnd, "quiet hours");
        }
        return new Allow(channel, to);
    }

    public DateTimeOffset ExpiresAt(SendMessage send) => send.ExpiresAt ?? send.FirstAttemptAt + options.DefaultExpiry;

    public FrequencyCap? CapFor(MessageCategory category) =>
        options.FrequencyCaps.TryGetValue(Name(category), out var cap) && cap.Count > 0 ? cap : null;

    public static string? Address(JsonObject customer, MessageChannel channel) =>
        CustomerSnapshot.Text(customer, channel == MessageChannel.Sms ? "phone" : "email") is { Length: > 0 } address ? address : null;

    public static string Name(MessageChannel channel) => channel == MessageChannel.Sms ? "sms" : "email";

    public static string Name(MessageCategory category) => category == MessageCategory.Marketing ? "marketing" : "service";

    /// <summary>When the quiet hours the customer is in now end, or null when they are not in any.</summary>
    public DateTimeOffset? QuietUntil(MessageCategory category, JsonObject customer, DateTimeOffset now)
    {
        if (!options.QuietHours.TryGetValue(Name(category), out var quiet)
            || !TimeOnly.TryParse(quiet.Start, CultureInfo.InvariantCulture, out var start)
            || !TimeOnly.TryParse(quiet.End, CultureInfo.InvariantCulture, out var end)
            || start == end)
        {
            return null;
        }
        var zone = LocalClock.ResolveZone(CustomerSnapshot.Text(customer, "timeZone"), defaultZone);
        var local = TimeOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, zone).DateTime);
        var inside = start < end ? local >= start && local < end : local >= start || local < end; // wraps midnight
        return inside ? LocalClock.NextTimeOfDay(now, zone, end, 0) : null;
    }
}
