namespace Retention.Host.Functions;

/// <summary>The custom handler's structured logs: function names, message ids and counts, never customer data.</summary>
public static partial class FunctionLogs
{
    [LoggerMessage(EventId = 2100, Level = LogLevel.Information, Message = "Functions custom handler on 127.0.0.1:{Port}: {Count} functions; our queue poller and catalog refresh loop are off")]
    public static partial void CustomHandlerMode(this ILogger logger, int port, int count);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Warning, Message = "Retention:Storage:Prefix is '{Prefix}', but the queue triggers listen on {Queues}: work enqueued here reaches no function unless function.json names the prefixed queues")]
    public static partial void PrefixedQueuesNotTriggered(this ILogger logger, string prefix, string queues);

    [LoggerMessage(EventId = 2101, Level = LogLevel.Warning, Message = "Invocation of {Function} rejected: {Reason}")]
    public static partial void InvocationRejected(this ILogger logger, string function, string reason);

    [LoggerMessage(EventId = 2110, Level = LogLevel.Debug, Message = "{Function}: {Method} answered {StatusCode}")]
    public static partial void HttpInvocationDispatched(this ILogger logger, string function, string method, int statusCode);

    [LoggerMessage(EventId = 2111, Level = LogLevel.Warning, Message = "{Function}: the embedded HTTP request cannot be read ({ErrorCount} errors)")]
    public static partial void UnreadableHttpInvocation(this ILogger logger, string function, int errorCount);

    [LoggerMessage(EventId = 2120, Level = LogLevel.Warning, Message = "{Function}: message {MessageId} (attempt {DequeueCount}) cannot be read: {Reason}; failing it so the Functions host retries and then poisons it")]
    public static partial void UndecodableWork(this ILogger logger, string function, string? messageId, long dequeueCount, string reason);

    [LoggerMessage(EventId = 2121, Level = LogLevel.Warning, Message = "{Function}: {Kind} message {MessageId} failed on attempt {DequeueCount} (last attempt: {LastAttempt})")]
    public static partial void WorkInvocationFailed(this ILogger logger, Exception exception, string function, string kind, string? messageId, long dequeueCount, bool lastAttempt);

    [LoggerMessage(EventId = 2130, Level = LogLevel.Information, Message = "{Function}: the tick is past due (last run {Last})")]
    public static partial void TimerPastDue(this ILogger logger, string function, DateTimeOffset? last);

    [LoggerMessage(EventId = 2131, Level = LogLevel.Error, Message = "{Function}: the scheduled work failed")]
    public static partial void TimerFailed(this ILogger logger, Exception exception, string function);
}
