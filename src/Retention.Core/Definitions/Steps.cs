using Retention.Core.Conditions;
using Retention.Core.Time;

namespace Retention.Core.Definitions;

/// <summary>The closed set of step types. The interpreter switches over them exhaustively.</summary>
public abstract record Step(string Id)
{
    /// <summary>Every step id this step can go to, for reference and reachability checks.</summary>
    public abstract IEnumerable<string> Successors { get; }
}

/// <summary>Waits for a duration, until a local time of day, or until a date taken from a customer attribute.</summary>
public sealed record WaitStep(string Id, WaitUntil Until, string? Next) : Step(Id)
{
    public override IEnumerable<string> Successors => Next is null ? [] : [Next];
}

public abstract record WaitUntil;

/// <summary>A fixed duration. Days, months and years count in the customer's local calendar.</summary>
public sealed record WaitDuration(JourneyDuration Duration) : WaitUntil;

/// <summary>The next <paramref name="At"/> in the customer's time zone, <paramref name="DaysLater"/> days on (0 = the next one).</summary>
public sealed record WaitTimeOfDay(TimeOnly At, int DaysLater) : WaitUntil;

/// <summary>Working time in a business calendar (by id; null picks the customer's region's calendar, then the default).</summary>
public sealed record WaitBusinessTime(JourneyDuration Duration, string? Calendar) : WaitUntil;

/// <summary>A date read from a value path (such as <c>customer.birthday</c>) plus an offset, at a local time.</summary>
public sealed record WaitDate(string Path, JourneyDuration Offset, TimeOnly At, bool Yearly) : WaitUntil;

/// <param name="Fallback">The other channel, used when this one cannot reach the customer (no address, a failed delivery).</param>
/// <param name="ExpiresAfter">A message held back by a frequency cap or quiet hours is dropped once this much older.</param>
public sealed record SendStep(string Id, MessageChannel Channel, string Template, MessageCategory Category, string? Next,
    MessageChannel? Fallback = null, JourneyDuration? ExpiresAfter = null) : Step(Id)
{
    public override IEnumerable<string> Successors => Next is null ? [] : [Next];
}

/// <summary>Waits for an event correlated with the instance; a timer races it and the loser is cancelled.</summary>
/// <param name="Match">Event data field to the value path it must equal, e.g. <c>complaintId</c> to <c>trigger.data.complaintId</c>.</param>
/// <param name="Capture">Context key to the value path stored when the event arrives (e.g. the survey score).</param>
public sealed record WaitForEventStep(
    string Id,
    string Event,
    IReadOnlyDictionary<string, string> Match,
    Condition? Filter,
    JourneyDuration? Timeout,
    IReadOnlyDictionary<string, string> Capture,
    string? OnEvent,
    string? OnTimeout,
    bool TimeoutInBusinessTime = false,
    string? Calendar = null,
    ClockDeadline? Deadline = null) : Step(Id)
{
    public override IEnumerable<string> Successors =>
        new[] { OnEvent, OnTimeout }.Where(s => s is not null).Select(s => s!);
}

/// <summary>A timeout at the moment an SLA clock reaches <paramref name="Percent"/> of its target; it moves when the clock pauses or resumes.</summary>
public sealed record ClockDeadline(string Clock, decimal Percent);

public enum ClockAction { Start, Stop, Resume }

/// <summary>Starts an SLA clock, stops it (the target is met) or resumes a stopped one from where it stopped (a reopened complaint).</summary>
public sealed record ClockStep(string Id, string Clock, ClockAction Action, string? Next) : Step(Id)
{
    public override IEnumerable<string> Successors => Next is null ? [] : [Next];
}

public sealed record BranchStep(string Id, IReadOnlyList<BranchCase> Cases, string? Otherwise) : Step(Id)
{
    public override IEnumerable<string> Successors =>
        Cases.Select(c => c.Next).Append(Otherwise).Where(s => s is not null).Select(s => s!);
}

public sealed record BranchCase(Condition When, string Next);

/// <summary>A random split that is stable per customer: the same customer always takes the same path.</summary>
public sealed record SplitStep(string Id, IReadOnlyList<SplitPath> Paths) : Step(Id)
{
    public override IEnumerable<string> Successors => Paths.Select(p => p.Next);
}

public sealed record SplitPath(decimal Percent, string Next);

/// <summary>A task for staff: a person named by a value path, the customer's owner (account manager) or a role.</summary>
/// <param name="DueBusinessDays">When set, the task is due at the close of that many working days later (region's business calendar), instead of <paramref name="Due"/>.</param>
public sealed record TaskStep(string Id, string Kind, string Title, TaskAssignee Assignee, JourneyDuration Due, string? Next, int? DueBusinessDays = null) : Step(Id)
{
    public override IEnumerable<string> Successors => Next is null ? [] : [Next];
}

/// <param name="Path">A value path naming the assignee, such as the complaint's <c>trigger.data.ownerId</c>; when absent, the owner or role applies.</param>
/// <param name="Role">A role such as <c>supervisor</c>, resolved to a person per customer region from configuration, else left to the role's inbox.</param>
public sealed record TaskAssignee(bool Owner, string? Role, string? Path = null);

/// <summary>Sets customer attributes and tags, and adds to numeric attributes (a voucher balance).</summary>
/// <param name="AddToAttributes">Numbers added to attributes; applied once per step occurrence, however often the update is retried.</param>
public sealed record UpdateStep(
    string Id,
    IReadOnlyDictionary<string, ValueSource> SetAttributes,
    IReadOnlyList<string> AddTags,
    IReadOnlyList<string> RemoveTags,
    string? Next,
    IReadOnlyDictionary<string, ValueSource>? AddToAttributes = null) : Step(Id)
{
    public override IEnumerable<string> Successors => Next is null ? [] : [Next];
}

/// <summary>
/// Raises an event for a customer named by a value path (a referred customer's payment announced to their referrer).
/// The event id is (instance, step, occurrence), so a retried emit is one event.
/// </summary>
public sealed record EmitStep(string Id, string Event, string Customer, IReadOnlyDictionary<string, ValueSource> Data, string? Next) : Step(Id)
{
    public override IEnumerable<string> Successors => Next is null ? [] : [Next];
}

public sealed record ExitStep(string Id, string Outcome) : Step(Id)
{
    public override IEnumerable<string> Successors => [];
}
