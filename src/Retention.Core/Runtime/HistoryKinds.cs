namespace Retention.Core.Runtime;

/// <summary>
/// The kinds of <see cref="HistoryEntry"/> the interpreter records. Stored histories, the simulator's timeline, metrics
/// and reports read these names, so they are part of the stored format: add kinds, never rename one.
/// </summary>
public static class HistoryKinds
{
    public const string Started = "started";
    public const string Holdout = "holdout";
    public const string TimerHeld = "timer-held";
    public const string TimerFired = "timer-fired";
    public const string TimedOut = "timed-out";
    public const string SlaWarning = "sla-warning";
    public const string SlaBreach = "sla-breach";
    public const string Converted = "converted";
    public const string WaitMoved = "wait-moved";
    public const string WaitSkipped = "wait-skipped";
    public const string Waiting = "waiting";
    public const string WaitingForEvent = "waiting-for-event";
    public const string EventReceived = "event-received";
    public const string EventBuffered = "event-buffered";
    public const string BufferedDelivered = "buffered-delivered";
    public const string Suspended = "suspended";
    public const string Resumed = "resumed";
    public const string Migrated = "migrated";
    public const string Send = "send";
    public const string Branch = "branch";
    public const string Split = "split";
    public const string Task = "task";
    public const string Update = "update";
    public const string Emit = "emit";
    public const string EmitSkipped = "emit-skipped";
    public const string ClockStarted = "clock-started";
    public const string ClockStopped = "clock-stopped";
    public const string ClockResumed = "clock-resumed";
    public const string ClockPaused = "clock-paused";
    public const string ClockUnchanged = "clock-unchanged";
    /// <summary>An operator restarted a failed instance from its generation's start (the failure itself ends as <c>failed</c>).</summary>
    public const string Restarted = "restarted";

    private static readonly string[] EndKinds = [.. Enum.GetValues<InstanceStatus>().Where(s => s.IsFinished()).Select(Ended)];

    /// <summary>The entry that ends an instance is named after its final status: completed, exited, terminated or failed.</summary>
    public static string Ended(InstanceStatus status) => status.ToString().ToLowerInvariant();

    public static bool IsEnd(string kind) => EndKinds.Contains(kind, StringComparer.Ordinal);

    public static bool IsClock(string kind) => kind is ClockStarted or ClockStopped or ClockResumed or ClockPaused or ClockUnchanged;
}
