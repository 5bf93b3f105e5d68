using System.Text.RegularExpressions;
using Retention.Core.Conditions;
using Retention.Core.Definitions;
using Retention.Core.Events;
using Retention.Core.Time;

namespace Retention.Core.Runtime;

/// <summary>What the runtime knows of a customer's earlier entries into a journey.</summary>
public sealed record Enrollment(DateTimeOffset LastEnteredAt, int Entries);

public abstract record EntryDecision;

public sealed record Enter(string InstanceId, string? EntryKey) : EntryDecision;

public sealed record Skip(string Reason) : EntryDecision;

/// <summary>
/// Applies a journey's re-entry policy. Instance ids are deterministic, so a duplicate trigger maps to the same
/// instance and cannot start a second one.
/// </summary>
public static partial class EntryPolicy
{
    public static EntryDecision Decide(JourneyDefinition journey, CustomerEvent trigger, Enrollment? enrollment, DateTimeOffset now)
    {
        string Id(string? keyPart = null) => new InstanceId(journey.Id, trigger.CustomerId, keyPart).ToString();
        switch (journey.Entry.Policy)
        {
            case ReEntryPolicy.Once:
                return enrollment is null ? new Enter(Id(), null) : new Skip("entered before; the journey allows one entry");
            case ReEntryPolicy.OncePerKey:
                var scope = new ValueScope([], trigger.ToJson(), [], null, []);
                var key = Condition.AsTextOrNull(scope.Resolve(journey.Entry.Key!));
                return string.IsNullOrWhiteSpace(key)
                    ? new Skip($"the entry key {journey.Entry.Key} is missing")
                    : new Enter(Id(KeyPart(key)), key);
            case ReEntryPolicy.Cooldown:
                if (enrollment is not null && journey.Entry.Cooldown is { } cooldown
                    && cooldown.AddTo(enrollment.LastEnteredAt, TimeZoneInfo.Utc) > now)
                {
                    return new Skip($"cooling down until {cooldown.AddTo(enrollment.LastEnteredAt, TimeZoneInfo.Utc):O}");
                }
                return new Enter(Id(StableHash.Hex(trigger.Key)), null);
            case ReEntryPolicy.Always:
                return new Enter(Id(StableHash.Hex(trigger.Key)), null);
            default:
                throw new InvalidOperationException($"Unhandled policy {journey.Entry.Policy}.");
        }
    }

    [GeneratedRegex("^[A-Za-z0-9._@-]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex SafeKey();

    /// <summary>Keys that are safe in a storage key and a URL stay readable; others are hashed.</summary>
    public static string KeyPart(string key) => SafeKey().IsMatch(key) ? key : StableHash.Hex(key);

    /// <summary>Journey ids: lower-case words joined by hyphens, so they are safe in keys, queues and URLs.</summary>
    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$", RegexOptions.CultureInvariant)]
    public static partial Regex JourneyIdPattern();

    /// <summary>Customer ids accepted from core systems: safe in storage keys and URLs.</summary>
    [GeneratedRegex("^[A-Za-z0-9._@:-]{1,128}$", RegexOptions.CultureInvariant)]
    public static partial Regex CustomerIdPattern();

}
