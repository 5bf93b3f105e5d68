using Microsoft.Extensions.Logging;

namespace Retention.Engine;

/// <summary>
/// Every structured log of the standalone engine, event ids 7000-7999 (each assembly has its own range). Ids only, never
/// a phone number, email or name.
/// </summary>
public static partial class Logs
{
    [LoggerMessage(EventId = 7070, Level = LogLevel.Information, Message = "The Durable Task worker stopped in {Seconds:0.0} s, its work checkpointed and its partition leases released")]
    public static partial void WorkerStopped(this ILogger logger, double seconds);

    [LoggerMessage(EventId = 7071, Level = LogLevel.Warning, Message = "The Durable Task worker had not stopped after {Seconds:0.0} s, the shutdown timeout: its unfinished work resumes once its leases and messages time out")]
    public static partial void WorkerStopTimedOut(this ILogger logger, double seconds);

    [LoggerMessage(EventId = 7072, Level = LogLevel.Warning, Message = "Abandoning an activity work item failed on storage (attempt {Attempt}); retrying, so its message can run again")]
    public static partial void ActivityAbandonRetried(this ILogger logger, int attempt);
}
