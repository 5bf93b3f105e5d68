using Microsoft.Extensions.Logging;
using Retention.Core.Ports;
using Retention.Core.Runtime;

namespace Retention.Application;

/// <summary>
/// Every structured log of the application's workflows, event ids 1000-1999 (each assembly has its own range). Ids only,
/// never a phone number, email or name.
/// </summary>
public static partial class Logs
{
    [LoggerMessage(EventId = 1004, Level = LogLevel.Information, Message = "Instance {InstanceId} started in journey {JourneyId} v{Version} for customer {CustomerId}")]
    public static partial void InstanceStarted(this ILogger logger, string instanceId, string journeyId, int version, string customerId);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Debug, Message = "Journey {JourneyId} not entered by customer {CustomerId}: {Reason}")]
    public static partial void EntrySkipped(this ILogger logger, string journeyId, string customerId, string reason);

    [LoggerMessage(EventId = 1040, Level = LogLevel.Information, Message = "Schedule {Schedule} claimed its occurrence due {Occurrence}")]
    public static partial void ScheduleOccurrenceClaimed(this ILogger logger, string schedule, DateTimeOffset occurrence);

    [LoggerMessage(EventId = 1041, Level = LogLevel.Warning, Message = "A scheduler tick failed; trying again shortly")]
    public static partial void SchedulerTickFailed(this ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1032, Level = LogLevel.Information,
        Message = "Published journey {JourneyId} v{Version}; in flight ({Choice}): {Kept} kept, {Migrated} migrated, {Ended} ended")]
    public static partial void JourneyPublishedWithInFlight(this ILogger logger, string journeyId, int version, Journeys.InFlightChoice choice, long kept, long migrated, long ended);

    [LoggerMessage(EventId = 1033, Level = LogLevel.Information,
        Message = "Journey {JourneyId} is already stored (v{Version}); its file is not published again. Stored versions are the source of truth: import the file to change it")]
    public static partial void SeedSkipped(this ILogger logger, string journeyId, int version);

    [LoggerMessage(EventId = 1042, Level = LogLevel.Information, Message = "System job {Job} completed its occurrence {Occurrence}: {Figures}")]
    public static partial void SystemJobCompleted(this ILogger logger, string job, DateTimeOffset occurrence, string figures);

    [LoggerMessage(EventId = 1050, Level = LogLevel.Information, Message = "Pyramid recomputation {Tag}: {Scanned} customers scanned, {Changed} changed, {Events} events raised")]
    public static partial void PyramidRecomputed(this ILogger logger, string tag, int scanned, int changed, int events);

    [LoggerMessage(EventId = 1060, Level = LogLevel.Warning, Message = "An accepted {Type} event for customer {CustomerId} failed ({Error}), attempt {Attempt} of {MaxAttempts}")]
    public static partial void IngestEventFailed(this ILogger logger, string error, string type, string customerId, int attempt, int maxAttempts);

    [LoggerMessage(EventId = 1061, Level = LogLevel.Error, Message = "An accepted {Type} event for customer {CustomerId} was set aside after {Attempts} attempts; see /api/operations/ingest")]
    public static partial void IngestEventPoisoned(this ILogger logger, string type, string customerId, int attempts);

    [LoggerMessage(EventId = 1062, Level = LogLevel.Warning, Message = "Storage failed for {Events} accepted events; the drain retries shortly")]
    public static partial void IngestDrainStorageFailed(this ILogger logger, int events);

    [LoggerMessage(EventId = 1063, Level = LogLevel.Warning, Message = "A drain of the ingest inbox failed; trying again shortly")]
    public static partial void IngestDrainFailed(this ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1070, Level = LogLevel.Information, Message = "Inbound SMS {MessageId} ({Kind}) is from a number no customer has")]
    public static partial void InboundSmsNoCustomer(this ILogger logger, string messageId, string kind);

    [LoggerMessage(EventId = 1071, Level = LogLevel.Warning, Message = "Inbound SMS {MessageId} was not understood: {Reason}")]
    public static partial void InboundSmsNotUnderstood(this ILogger logger, string messageId, string reason);

    [LoggerMessage(EventId = 1072, Level = LogLevel.Information, Message = "Inbound SMS {MessageId}: marketing SMS {Change} for the number and its {Customers} customers")]
    public static partial void InboundSmsConsentChanged(this ILogger logger, string messageId, string change, int customers);

    [LoggerMessage(EventId = 1080, Level = LogLevel.Information, Message = "Customer import {ImportId} stored with {Lines} lines (new: {Created})")]
    public static partial void CustomerImportStored(this ILogger logger, string importId, int lines, bool created);

    [LoggerMessage(EventId = 1081, Level = LogLevel.Information, Message = "Customer import {ImportId} completed: {Accepted} rows accepted, {Rejected} rejected")]
    public static partial void CustomerImportCompleted(this ILogger logger, string importId, int accepted, int rejected);

    [LoggerMessage(EventId = 1082, Level = LogLevel.Information, Message = "Customer import {ImportId} was saved by another runner; this one leaves it")]
    public static partial void CustomerImportTakenOver(this ILogger logger, string importId);
}
