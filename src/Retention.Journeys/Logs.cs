using Microsoft.Extensions.Logging;
using Retention.Core.Ports;

namespace Retention.Journeys;

/// <summary>The journeys' log messages, event ids 4000-4999. Customer ids only: never phone numbers, emails or names.</summary>
internal static partial class Logs
{
    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Send {SendKey} for customer {CustomerId}: {Status} {Detail}")]
    public static partial void SendDispatched(this ILogger logger, string sendKey, string customerId, SendStatus status, string? detail);

    /// <summary>The exception's message is left out: a provider's answer or a rendered value may carry personal data.</summary>
    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "Instance {InstanceId} failed at step {StepId} on {Input}: {Activity} threw {ExceptionType} (the instance API gives the reason; a restart runs it again)")]
    public static partial void InstanceFailed(this ILogger logger, string instanceId, string? stepId, string input, string? activity, string exceptionType);
}
