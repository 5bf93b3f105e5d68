using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Retention.Core.Calendars;
using Retention.Core.Events;

namespace Retention.Core.Runtime;

[JsonConverter(typeof(JsonStringEnumConverter<InstanceStatus>))]
public enum InstanceStatus { Pending, Running, Waiting, Suspended, Completed, Exited, Terminated, Failed }

public static class InstanceStatusExtensions
{
    public static bool IsFinished(this InstanceStatus status) =>
        status is InstanceStatus.Completed or InstanceStatus.Exited or InstanceStatus.Terminated or InstanceStatus.Failed;
}

[JsonConverter(typeof(JsonStringEnumConverter<TimerPurpose>))]
public enum TimerPurpose { Wait, EventTimeout, GoalWindow }

/// <summary>A persisted timeout with a token: a firing whose token no longer matches is stale and ignored.</summary>
public sealed record PendingTimer(long Token, DateTimeOffset DueAt, TimerPurpose Purpose, string? StepId);

public sealed record BufferedEvent(CustomerEvent Event, DateTimeOffset BufferedAt);

/// <summary>A started SLA clock: paused by events (waiting on the customer), stopped by a clock step (the target met).</summary>
/// <param name="Calendar">The business calendar chosen at start, so a later region change does not move the target.</param>
public sealed record ClockState(SlaClock Clock, string Calendar, DateTimeOffset StartedAt, bool Stopped)
{
    public string Status => Stopped ? "stopped" : Clock.IsRunning ? "running" : "paused";

    /// <summary>
    /// Working time counted by <paramref name="now"/>, for reading outside the interpreter. Without its calendar (removed
    /// from configuration since) only the time counted before the current run.
    /// </summary>
    public TimeSpan ElapsedAt(DateTimeOffset now, IReadOnlyDictionary<string, BusinessCalendar> calendars) =>
        calendars.TryGetValue(Calendar, out var calendar) ? Clock.Elapsed(now, calendar) : Clock.ElapsedBeforeRun;

    /// <summary>When the target is reached if the clock keeps running; null when paused, stopped or without its calendar.</summary>
    public DateTimeOffset? DueAt(DateTimeOffset now, IReadOnlyDictionary<string, BusinessCalendar> calendars) =>
        !Stopped && calendars.TryGetValue(Calendar, out var calendar) ? Clock.DueAt(now, calendar) : null;
}

/// <summary>A journey instance's durable state. The interpreter never mutates the copy it is given.</summary>
public sealed class JourneyInstanceState
{
    public required string InstanceId { get; set; }
    public required string JourneyId { get; set; }
    public int Version { get; set; }
    public required string CustomerId { get; set; }
    public string? EntryKey { get; set; }
    public InstanceStatus Status { get; set; }
    public string? CurrentStepId { get; set; }
    public bool Holdout { get; set; }
    public PendingTimer? Timer { get; set; }
    public bool TimerElapsedWhileSuspended { get; set; }
    public JsonObject Customer { get; set; } = [];
    public JsonObject Trigger { get; set; } = [];
    public JsonObject Context { get; set; } = [];
    public List<BufferedEvent> Buffered { get; set; } = [];
    public Dictionary<string, ClockState> Clocks { get; set; } = [];
    /// <summary>Keys of the most recent events applied, so a redelivered event changes nothing.</summary>
    public List<string> SeenEvents { get; set; } = [];
    /// <summary>How many times each step has run: part of each send's idempotency key.</summary>
    public Dictionary<string, int> Occurrences { get; set; } = [];
    public long NextToken { get; set; } = 1;
    public int HistoryCount { get; set; }
    public string? Outcome { get; set; }
    public bool Converted { get; set; }
    public DateTimeOffset? ConvertedAt { get; set; }
    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset? EndedAt { get; set; }
}

/// <summary>One line of an instance's history, in the order it happened.</summary>
public sealed record HistoryEntry(DateTimeOffset At, string Kind, string? StepId, string Detail);
