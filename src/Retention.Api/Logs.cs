namespace Retention.Api;

/// <summary>Every structured log of the host, event ids 2000-2999. Ids only, never a phone number, email or name.</summary>
public static partial class Logs
{
    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Storage not reachable yet (attempt {Attempt}); waiting")]
    public static partial void StorageNotReady(this ILogger logger, int attempt);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "Loaded {Count} journeys from {Folder}")]
    public static partial void JourneysLoaded(this ILogger logger, int count, string folder);

    [LoggerMessage(EventId = 2010, Level = LogLevel.Information, Message = "Ingested from source {Source}: {Accepted} accepted, {Duplicates} duplicates")]
    public static partial void EventsIngested(this ILogger logger, string source, int accepted, int duplicates);

    [LoggerMessage(EventId = 2011, Level = LogLevel.Warning, Message = "Rejected events from source {Source}: {Reason}")]
    public static partial void EventsRejected(this ILogger logger, string? source, string reason);

    [LoggerMessage(EventId = 2020, Level = LogLevel.Information, Message = "Admin {Action} on instance {InstanceId} by {Actor}")]
    public static partial void InstanceControl(this ILogger logger, string action, string instanceId, string? actor);

    [LoggerMessage(EventId = 2030, Level = LogLevel.Error, Message = "Audit entry for {Method} {Route} not recorded: storage answered {Status}")]
    public static partial void AuditNotRecorded(this ILogger logger, string method, string route, int status);

    [LoggerMessage(EventId = 2200, Level = LogLevel.Warning, Message = "{Method} {Path} refused with 503: storage unavailable ({Failure})")]
    public static partial void StorageUnavailable(this ILogger logger, string method, string path, string failure);

    [LoggerMessage(EventId = 2040, Level = LogLevel.Warning, Message = "Customer import {ImportId} stopped; it continues from its cursor on the next start")]
    public static partial void CustomerImportStopped(this ILogger logger, Exception exception, string importId);
}
