using Microsoft.Extensions.Logging;
using Retention.Channels.Providers;
using Retention.Core.Ports;

namespace Retention.Channels;

/// <summary>
/// The channel providers' structured logs, event ids 3000-3999. Send keys, provider message ids and status codes only: never a phone
/// number, email address, name, message text, or a provider's error text (it may quote the address).
/// </summary>
public static partial class Logs
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "{Provider} accepted send {SendKey} as {MessageId}")]
    public static partial void SendAccepted(this ILogger logger, string provider, string sendKey, string messageId);

    /// <summary><paramref name="statusCode"/> is the HTTP or SMTP code; null when the message was refused before sending.</summary>
    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "{Provider} rejected send {SendKey} for good with status {StatusCode}")]
    public static partial void SendRejected(this ILogger logger, string provider, string sendKey, int? statusCode);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "{Provider} could not take send {SendKey} now: status {StatusCode}, retry after {RetryAfter}")]
    public static partial void SendUnavailable(this ILogger logger, string provider, string sendKey, int? statusCode, TimeSpan? retryAfter);

    /// <summary>The connection failed or timed out; <paramref name="failure"/> is the exception type, whose message may hold an address.</summary>
    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "{Provider} could not be reached for send {SendKey}: {Failure}")]
    public static partial void ProviderUnreachable(this ILogger logger, string provider, string sendKey, string failure);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Error, Message = "{Provider} refused our credentials for send {SendKey} with status {StatusCode}: check the configured key, clock or password")]
    public static partial void ProviderCredentialsRefused(this ILogger logger, string provider, string sendKey, int statusCode);

    /// <summary>Logs what a provider made of one send, with the status code that decided it.</summary>
    public static ProviderResult LogOutcome(this ILogger logger, string provider, string sendKey, ProviderResult result, int? statusCode)
    {
        switch (result)
        {
            case ProviderAccepted accepted:
                logger.SendAccepted(provider, sendKey, accepted.MessageId);
                break;
            case ProviderRejected:
                logger.SendRejected(provider, sendKey, statusCode);
                break;
            case ProviderUnavailable unavailable:
                logger.SendUnavailable(provider, sendKey, statusCode, unavailable.RetryAfter);
                break;
        }
        return result;
    }
}
