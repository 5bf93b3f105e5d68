using System.Text.Json.Nodes;
using Retention.Core.Customers;
using Retention.Core.Definitions;
using Retention.Core.Runtime;
using Retention.Core.Time;

namespace Retention.Core.Contact;

public abstract record ContactDecision;

/// <param name="Recent">
/// The category's recent contacts with this send counted, for the caller to keep; null when the category has no cap.
/// </param>
public sealed record Allow(MessageChannel Channel, string To, IReadOnlyList<RecentContact>? Recent = null) : ContactDecision;

public sealed record Defer(DateTimeOffset Until, string Reason) : ContactDecision;

/// <param name="Expired">It was held back (quiet hours, a cap) past its expiry, rather than refused outright.</param>
public sealed record Suppress(string Reason, bool Expired = false) : ContactDecision;

/// <summary>No address on the step's channel but one on its fallback: the step's send is settled, and <paramref name="Send"/> is decided afresh.</summary>
public sealed record Fallback(SendMessage Send, string Reason) : ContactDecision;

/// <summary>A message that counts against the customer's frequency cap of its category.</summary>
public sealed record RecentContact(string SendKey, DateTimeOffset At);

/// <summary>
/// The rules of good conduct, in one place and free of I/O: an address to reach (or the fallback's), consent for
/// marketing, expiry of held-back messages, quiet hours in the customer's local time, and frequency caps over the
/// customer's recent contacts across all journeys. The sender and the simulator both ask <see cref="Decide"/>; they
/// differ only in where the recent contacts are kept.
/// </summary>
public sealed class ContactPolicy(ContactPolicyOptions options, TimeZoneInfo defaultZone)
{
    public ContactPolicyOptions Options => options;

    /// <param name="recent">The customer's recent contacts in the send's category; ignored when the category has no cap.</param>
    /// <param name="addressSuppressed">
    /// The customer's address on the send's channel opted out (an SMS STOP from the number): marketing to it is suppressed
    /// for every customer who has it, whatever each one's own consent says.
    /// </param>
    public ContactDecision Decide(SendMessage send, JsonObject customer, IReadOnlyList<RecentContact> recent, DateTimeOffset now, bool addressSuppressed = false)
    {
        if (Address(customer, send.Channel) is null && send.Fallback is { } fallback && Address(customer, fallback) is not null)
        {
            return new Fallback(send.AsFallback(), $"no {Name(send.Channel)} address; sent by {Name(fallback)}");
        }
        var decision = Evaluate(send, customer, now, addressSuppressed);
        if (decision is not Allow allow || CapFor(send.Category) is not { } cap)
        {
            return decision;
        }
        if (cap.AllowsAt(recent, send.SendKey, now) is not { } allowedAt)
        {
            return allow with { Recent = cap.Counting(recent, send.SendKey, now) };
        }
        var capped = $"frequency cap of {cap.Count} {Name(send.Category)} messages per {cap.Window.TotalDays:0.#} days";
        return allowedAt > ExpiresAt(send)
            ? new Suppress($"{capped}; expired before the cap allowed it", Expired: true)
            : new Defer(allowedAt, capped);
    }

    /// <summary>Everything but the cap: an address, consent (the customer's, then the address's), expiry and quiet hours.</summary>
    private ContactDecision Evaluate(SendMessage send, JsonObject customer, DateTimeOffset now, bool addressSuppressed)
    {
        var channel = send.Channel;
        var to = Address(customer, channel);
        if (to is null)
        {
            return new Suppress($"the customer has no {AddressName(channel)}");
        }
        var channelName = Name(channel);
        if (send.Category == MessageCategory.Marketing)
        {
            var consent = CustomerSnapshot.Consent(customer, channelName);
            if (consent == "opted-out" || (consent != "opted-in" && !options.MarketingToUnknownConsent))
            {
                return new Suppress($"no marketing consent for {channelName} ({consent})");
            }
            if (addressSuppressed)
            {
                return new Suppress($"the {AddressName(channel)} opted out of marketing, for every customer who has it");
            }
        }
        if (now > ExpiresAt(send))
        {
            return new Suppress($"expired at {ExpiresAt(send):O} while held back", Expired: true);
        }
        if (QuietUntil(send.Category, customer, now) is { } quietEnd)
        {
            return quietEnd > ExpiresAt(send)
                ? new Suppress("quiet hours last past the message's expiry", Expired: true)
                : new Defer(quietEnd, "quiet hours");
        }
        return new Allow(channel, to);
    }

    /// <summary>
    /// Marketing is decided on the live profile, so an opt-out counts from the moment it arrives; service messages on
    /// the instance's copy (<see cref="InstanceCopy"/>), which profile events keep current, saving a read per send.
    /// </summary>
    public static bool ReadsLiveProfile(SendMessage send) => send.Category == MessageCategory.Marketing;

    public static JsonObject InstanceCopy(SendMessage send) => send.Variables["customer"] as JsonObject ?? [];

    public DateTimeOffset ExpiresAt(SendMessage send) => send.ExpiresAt ?? send.FirstAttemptAt + options.DefaultExpiry;

    public FrequencyCap? CapFor(MessageCategory category) =>
        options.FrequencyCaps.TryGetValue(Name(category), out var cap) && cap.Count > 0 ? cap : null;

    public static string? Address(JsonObject customer, MessageChannel channel) =>
        CustomerSnapshot.Text(customer, channel == MessageChannel.Sms ? "phone" : "email") is { Length: > 0 } address ? address : null;

    public static string Name(MessageChannel channel) => channel == MessageChannel.Sms ? "sms" : "email";

    private static string AddressName(MessageChannel channel) => channel == MessageChannel.Sms ? "phone number" : "email address";

    public static string Name(MessageCategory category) => category == MessageCategory.Marketing ? "marketing" : "service";

    /// <summary>When the quiet hours the customer is in now end, or null when they are not in any.</summary>
    public DateTimeOffset? QuietUntil(MessageCategory category, JsonObject customer, DateTimeOffset now)
    {
        if (!options.QuietHours.TryGetValue(Name(category), out var quiet) || quiet.Window() is not (var start, var end))
        {
            return null;
        }
        var zone = LocalClock.ResolveZone(CustomerSnapshot.Text(customer, "timeZone"), defaultZone);
        var local = TimeOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, zone).DateTime);
        var inside = start < end ? local >= start && local < end : local >= start || local < end; // wraps midnight
        return inside ? LocalClock.NextTimeOfDay(now, zone, end, 0) : null;
    }
}
