using Microsoft.Extensions.Logging;

namespace Retention.Storage;

/// <summary>
/// Every structured log of the storage adapters, event ids 6000-6999 (each assembly has its own range). Ids only, never a
/// phone number, email or name.
/// </summary>
public static partial class Logs
{
    [LoggerMessage(EventId = 6030, Level = LogLevel.Information, Message = "Published journey {JourneyId} v{Version}")]
    public static partial void JourneyPublished(this ILogger logger, string journeyId, int version);

    [LoggerMessage(EventId = 6031, Level = LogLevel.Warning, Message = "Refreshing the journey catalog failed")]
    public static partial void CatalogRefreshFailed(this ILogger logger, Exception exception);

    [LoggerMessage(EventId = 6080, Level = LogLevel.Warning, Message = "Refreshing the business calendars and staff directory versions failed")]
    public static partial void ReferenceDataRefreshFailed(this ILogger logger, Exception exception);
}
