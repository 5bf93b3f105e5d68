namespace Retention.Storage.Work;

/// <summary>
/// The queue settings of <c>host.json</c> (<c>extensions.queues</c>), honoured by our own poller as the Functions host
/// honours them for its queue triggers.
/// </summary>
public sealed class QueueOptions
{
    public int BatchSize { get; set; } = 16;
    public int NewBatchThreshold { get; set; } = 8;
    /// <summary>The longest pause between polls of an idle queue.</summary>
    public TimeSpan MaxPollingInterval { get; set; } = TimeSpan.FromSeconds(2);
    /// <summary>How long a failed message stays hidden before it is retried.</summary>
    public TimeSpan VisibilityTimeout { get; set; } = TimeSpan.FromSeconds(30);
    public int MaxDequeueCount { get; set; } = 5;

    /// <summary>How long a received message is leased while it is processed.</summary>
    public TimeSpan ProcessingLease { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The longest a timer message is hidden for. Queue messages can be hidden for at most 7 days, so longer waits
    /// hop: the message is re-enqueued until it is due.
    /// </summary>
    public TimeSpan MaxTimerHop { get; set; } = TimeSpan.FromDays(6);

    /// <summary>A timer received this close to its due time is held in memory until due rather than hopped again.</summary>
    public TimeSpan TimerHoldLimit { get; set; } = TimeSpan.FromSeconds(2);
}
