using Microsoft.Extensions.Logging;
using Retention.Core.Ports;
using Retention.Core.Runtime;

namespace Retention.Storage;

/// <summary>The runtime's structured logs. Ids only, never a phone number, email or name.</summary>
public static partial class Logs
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Debug, Message = "Instance {InstanceId} applied {Input}: {Status}")]
    public static partial void InstanceApplied(this ILogger logger, string instanceId, string input, InstanceStatus status);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Debug, Message = "Instance {InstanceId} ignored {Input}: {Reason}")]
    public static partial void InputIgnored(this ILogger logger, string instanceId, string input, string? reason);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Debug, Message = "Instance {InstanceId} changed concurrently; retrying (attempt {Attempt})")]
    public static partial void CommitConflict(this ILogger logger, string instanceId, int attempt);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Information, Message = "Instance {InstanceId} started in journey {JourneyId} v{Version} for customer {CustomerId}")]
    public static partial void InstanceStarted(this ILogger logger, string instanceId, string journeyId, int version, string customerId);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Debug, Message = "Journey {JourneyId} not entered by customer {CustomerId}: {Reason}")]
    public static partial void EntrySkipped(this ILogger logger, string journeyId, string customerId, string reason);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Information, Message = "Re-dispatching {Count} outbox commands of instance {InstanceId} left by an interrupted run")]
    public static partial void OutboxRecovered(this ILogger logger, string instanceId, int count);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Warning, Message = "Work message {MessageId} failed on attempt {DequeueCount}; retrying later")]
    public static partial void WorkFailed(this ILogger logger, Exception exception, string messageId, long dequeueCount);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Error, Message = "Work message {MessageId} moved to the poison queue after {DequeueCount} attempts: {Reason}")]
    public static partial void WorkPoisoned(this ILogger logger, string messageId, long dequeueCount, string reason);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Warning, Message = "Polling the work queue failed; backing off")]
    public static partial void PollFailed(this ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1020, Level = LogLevel.Information, Message = "Send {SendKey} for customer {CustomerId}: {Status} {Detail}")]
    public static partial void SendDispatched(this ILogger logger, string sendKey, string customerId, SendStatus status, string? detail);

    [LoggerMessage(EventId = 1030, Level = LogLevel.Information, Message = "Published journey {JourneyId} v{Version}")]
    public static partial void JourneyPublished(this ILogger logger, string journeyId, int version);

    [LoggerMessage(EventId = 1040, Level = LogLevel.Information, Message = "Schedule {Schedule} claimed its occurrence due {Occurrence}")]
    public static partial void ScheduleOccurrenceClaimed(this ILogger logger, string schedule, DateTimeOffset occurrence);

    [LoggerMessage(EventId = 1041, Level = LogLevel.Warning, Message = "A scheduler tick failed; trying again shortly")]
    public static partial void SchedulerTickFailed(this ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1031, Level = LogLevel.Warning, Message = "Refreshing the journey catalog failed")]
    public static partial void CatalogRefreshFailed(this ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1042, Level = LogLevel.Information, Message = "System job {Job} completed its occurrence {Occurrence}: {Figures}")]
    public static partial void SystemJobCompleted(this ILogger logger, string job, DateTimeOffset occurrence, string figures);

    [LoggerMessage(EventId = 1050, Level = LogLevel.Information, Message = "Pyramid recomputation {Tag}: {Scanned} customers scanned, {Changed} changed, {Events} events raised")]
    public static partial void PyramidRecomputed(this ILogger logger, string tag, int scanned, int changed, int events);
}
