using System.Globalization;
using System.Text.Json.Nodes;
using Retention.Core.Conditions;
using Retention.Core.Customers;
using Retention.Core.Events;
using Retention.Core.Time;

namespace Retention.Core.Definitions;

/// <summary>A journey as published: versioned, immutable data. Steps reference each other by id.</summary>
public sealed record JourneyDefinition
{
    public required string Id { get; init; }
    public string Name { get; init; } = "";
    public string Description { get; init; } = "";
    public int Version { get; init; }
    public required JourneyTrigger Trigger { get; init; }
    public EntryRule Entry { get; init; } = new(ReEntryPolicy.Always, null, null);
    public IReadOnlyList<EventRule> ExitOn { get; init; } = [];
    public GoalRule? Goal { get; init; }
    /// <summary>Share of entrants, 0-100, kept out of the journey to measure lift. Chosen by a stable hash.</summary>
    public decimal HoldoutPercent { get; init; }
    /// <summary>How long an event that arrives before its wait is kept for it; null uses the runtime default.</summary>
    public TimeSpan? EventBufferWindow { get; init; }
    public required string Start { get; init; }
    public required IReadOnlyList<Step> Steps { get; init; }
    public IReadOnlyDictionary<string, MessageTemplate> Templates { get; init; } = new Dictionary<string, MessageTemplate>();
    /// <summary>SLA clocks by name: targets in business time that pause and resume on events.</summary>
    public IReadOnlyDictionary<string, ClockDefinition> Clocks { get; init; } = new Dictionary<string, ClockDefinition>();

    // Keyed on the list it indexes: a `with` copy that replaces Steps must not reuse the old index.
    private (IReadOnlyList<Step> Steps, Dictionary<string, Step> ById)? _index;

    public Step? FindStep(string id)
    {
        if (_index is not { } index || !ReferenceEquals(index.Steps, Steps))
        {
            index = (Steps, Steps.GroupBy(s => s.Id, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal));
            _index = index;
        }
        return index.ById.GetValueOrDefault(id);
    }

    /// <summary>
    /// Whether the step is an SMS that asks a question: a send whose next step waits for the customer's SMS reply (a
    /// survey score). A reply from the number goes to the customer most recently asked.
    /// </summary>
    public bool AsksForSmsReply(string stepId) =>
        FindStep(stepId) is SendStep { Next: { } next } && FindStep(next) is WaitForEventStep { Event: KnownEventTypes.SmsReceived };

    /// <summary>Event types some wait-for-event step waits on: only these are buffered when they arrive early.</summary>
    public IReadOnlySet<string> AwaitedEventTypes =>
        Steps.OfType<WaitForEventStep>().Select(s => s.Event).ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// Whether an event of this type can change an instance of this journey: a profile change (every instance keeps its
    /// copy of the profile), or a type its waits, exits, goal or clocks name. The interpreter ignores any other event
    /// (<c>JourneyInterpreter</c>'s <c>OnEvent</c>), so the router need not raise it to the instance.
    /// </summary>
    public bool ReactsTo(string eventType) => ProfileChange.MayChange(eventType) || NamedEventTypes.Contains(eventType, StringComparer.Ordinal);

    private IEnumerable<string> NamedEventTypes => AwaitedEventTypes
        .Concat(ExitOn.Select(r => r.Event))
        .Concat(Goal is { } goal ? [goal.Event] : [])
        .Concat(Clocks.Values.SelectMany(c => c.PauseOn.Concat(c.ResumeOn)).Select(r => r.Event));
}

public abstract record JourneyTrigger
{
    /// <summary>
    /// Whether a trigger event starts this customer: the event trigger's filter, or the schedule's selection of
    /// customers, on the profile as it stands when the event arrives.
    /// </summary>
    public bool Selects(JsonObject customer, CustomerEvent trigger)
    {
        var json = trigger.ToJson();
        return this switch
        {
            EventTrigger { Filter: { } filter } => filter.Evaluate(new ValueScope(customer, json, [], json, [])),
            ScheduleTrigger { Customers: { } customers } => customers.Evaluate(new ValueScope(customer, json, [], null, [])),
            _ => true,
        };
    }
}

/// <summary>Starts an instance when a matching event arrives.</summary>
public sealed record EventTrigger(string Event, Condition? Filter) : JourneyTrigger;

/// <summary>Starts instances on a cron schedule for the customers that match the filter (run by the scheduler).</summary>
public sealed record ScheduleTrigger(string Cron, string TimeZone, Condition? Customers) : JourneyTrigger
{
    /// <summary>
    /// When not empty, only occurrences on these local dates start anyone, and the trigger carries the date's occasion
    /// (<c>trigger.data.occasion</c>): holiday greetings on lunar dates no cron expression can name.
    /// </summary>
    public IReadOnlyDictionary<DateOnly, string> Dates { get; init; } = new Dictionary<DateOnly, string>();

    /// <summary>
    /// The local date of an occurrence and its occasion: "" when the schedule has no dates, null (nobody starts) when
    /// the date is not listed.
    /// </summary>
    public (DateOnly Date, string? Occasion) OccasionOf(DateTimeOffset occurrence)
    {
        var date = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(occurrence, Time.LocalClock.ResolveZone(TimeZone, TimeZoneInfo.Utc)).DateTime);
        return (date, Dates.Count == 0 ? "" : Dates.GetValueOrDefault(date));
    }

    public const string FiredEventType = "schedule.fired";

    /// <summary>
    /// The trigger event of one occurrence for one customer, with the date's occasion; its id is (journey, occurrence),
    /// so a repeated run starts nobody twice. Null when the occurrence's date is not one of the schedule's.
    /// </summary>
    public CustomerEvent? Fired(string journeyId, DateTimeOffset occurrence, string customerId)
    {
        var (date, occasion) = OccasionOf(occurrence);
        if (occasion is null)
        {
            return null;
        }
        var at = occurrence.ToString("O", CultureInfo.InvariantCulture);
        var data = new JsonObject { ["customerId"] = customerId, ["occurrence"] = at };
        if (occasion.Length > 0)
        {
            data["occasion"] = occasion;
            data["date"] = date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        }
        return new CustomerEvent($"{journeyId}@{at}", "schedule", FiredEventType, occurrence, customerId, data);
    }
}

/// <summary>Starts an instance only through the admin API.</summary>
public sealed record ApiTrigger : JourneyTrigger;

public enum ReEntryPolicy
{
    /// <summary>A customer enters at most once, ever.</summary>
    Once,
    /// <summary>Once per value of the entry key (for example per sale).</summary>
    OncePerKey,
    /// <summary>Again only after the cooldown has passed since the last entry.</summary>
    Cooldown,
    /// <summary>Every trigger enters (each trigger event at most once).</summary>
    Always,
}

/// <param name="Key">A value path such as <c>trigger.data.saleId</c>; required for <see cref="ReEntryPolicy.OncePerKey"/>.</param>
public sealed record EntryRule(ReEntryPolicy Policy, string? Key, JourneyDuration? Cooldown);

/// <summary>An event correlated with the instance: one that ends it (<c>sale.refunded</c> for the same sale), or pauses or resumes a clock.</summary>
public sealed record EventRule(string Event, IReadOnlyDictionary<string, string> Match, Condition? Filter);

/// <summary>
/// An SLA clock: a target counted in a business calendar's working time, started and stopped by clock steps, paused
/// and resumed by correlated events (a complaint waiting on the customer pauses it), so waits can race its thresholds.
/// </summary>
/// <param name="Calendar">A business calendar id; null uses the customer's region's calendar, then the default.</param>
public sealed record ClockDefinition(string Name, ClockTarget Target, string? Calendar, IReadOnlyList<EventRule> PauseOn, IReadOnlyList<EventRule> ResumeOn);

/// <summary>A fixed working-time target, or one chosen by a value (such as the complaint's severity) with a default.</summary>
public sealed record ClockTarget(string? Path, IReadOnlyDictionary<string, JourneyDuration> Cases, JourneyDuration? Default)
{
    public static ClockTarget Fixed(JourneyDuration duration) => new(null, new Dictionary<string, JourneyDuration>(), duration);
}

/// <summary>The conversion: an event within a window after entry.</summary>
public sealed record GoalRule(string Event, JourneyDuration Within, Condition? Filter, bool ExitOnGoal);

public enum MessageChannel { Sms, Email }

public enum MessageCategory { Service, Marketing }

/// <summary>A message per channel and locale. SMS has text; email has subject, text and optional HTML.</summary>
public sealed record MessageTemplate(
    IReadOnlyDictionary<string, string> Sms,
    IReadOnlyDictionary<string, EmailContent> Email);

public sealed record EmailContent(string Subject, string Text, string? Html);

/// <summary>Literal JSON values and value paths used by update steps and captures.</summary>
public sealed record ValueSource(string? Path, JsonNode? Literal);
