using Microsoft.Extensions.Logging;
using Retention.Core.Ports;

namespace Retention.Journeys;

/// <summary>The journeys' log messages, event ids 4000-4999. Customer ids only: never phone numbers, emails or names.</summary>
internal static partial class Logs
{
    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Send {SendKey} for customer {CustomerId}: {Status} {Detail}")]
    public static partial void SendDispatched(this ILogger logger, string sendKey, string customerId, SendStatus status, string? detail);
}
