using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Retention.Channels.Providers;
using Retention.Core.Ports;

namespace Retention.Channels.Acs;

/// <summary>What the SMS and email providers share about reading ACS replies: transient codes, Retry-After, error text.</summary>
internal static class AcsHttpResponses
{
    /// <summary>
    /// Sends one request; a transport failure or a timeout becomes <see cref="ProviderUnavailable"/>. Either way the
    /// message may have arrived: the caller's repeatability id (SMS) or Operation-Id (email) makes the retry harmless.
    /// </summary>
    public static async Task<(HttpResponseMessage? Response, ProviderUnavailable? Failure)> SendAsync(
        HttpClient client, HttpRequestMessage message, ILogger logger, string provider, string sendKey, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            return (await client.SendAsync(message, cancellationToken), null);
        }
        catch (HttpRequestException exception)
        {
            logger.ProviderUnreachable(provider, sendKey, exception.HttpRequestError.ToString());
            return (null, new ProviderUnavailable($"ACS could not be reached ({exception.HttpRequestError})", null));
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // HttpClient.Timeout, not our caller giving up.
            logger.ProviderUnreachable(provider, sendKey, "timeout");
            return (null, new ProviderUnavailable($"ACS did not answer within {timeout}", null));
        }
    }

    /// <summary>429, 408 and 5xx are worth trying again later; other 4xx will fail the same way every time.</summary>
    public static bool IsTransient(int statusCode) =>
        statusCode is (int)HttpStatusCode.TooManyRequests or (int)HttpStatusCode.RequestTimeout || statusCode >= 500;

    /// <summary>
    /// The delay the service asked for: <c>retry-after-ms</c> / <c>x-ms-retry-after-ms</c> (Azure's precise form), else
    /// <c>Retry-After</c> in seconds or as an HTTP date; null when none is given.
    /// </summary>
    public static TimeSpan? RetryAfter(HttpResponseMessage response, TimeProvider time)
    {
        foreach (var name in (string[])["retry-after-ms", "x-ms-retry-after-ms"])
        {
            if (response.Headers.TryGetValues(name, out var values)
                && double.TryParse(values.FirstOrDefault(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var milliseconds)
                && milliseconds >= 0)
            {
                return TimeSpan.FromMilliseconds(milliseconds);
            }
        }
        var retryAfter = response.Headers.RetryAfter;
        if (retryAfter?.Delta is { } delta)
        {
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }
        if (retryAfter?.Date is { } date)
        {
            var wait = date - time.GetUtcNow();
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }
        return null;
    }

    /// <summary>The <c>error.message</c> of an ACS error body, or null when the body is not one.</summary>
    public static async Task<string?> ReadErrorMessageAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            if (body.Length == 0)
            {
                return null;
            }
            var error = JsonSerializer.Deserialize(body, AcsJsonContext.Default.AcsErrorResponse)?.Error;
            return error is null ? null : string.Join(": ", new[] { error.Code, error.Message }.Where(part => !string.IsNullOrWhiteSpace(part)));
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Removes the recipient's address from text the service wrote, so reasons can be stored and shown safely.</summary>
    public static string Redact(string text, params string?[] addresses)
    {
        foreach (var address in addresses)
        {
            if (!string.IsNullOrEmpty(address))
            {
                text = text.Replace(address, "<recipient>", StringComparison.OrdinalIgnoreCase);
            }
        }
        return text;
    }

    /// <summary>
    /// The logged result for a reply that is not a success, with the service's own words when it gave some; a refused
    /// key or signature is logged apart, since no retry will fix it.
    /// </summary>
    public static async Task<ProviderResult> RefusedAsync(
        HttpResponseMessage response, ILogger logger, string provider, string sendKey, string what, string recipient, TimeProvider time, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            logger.ProviderCredentialsRefused(provider, sendKey, status);
        }
        var message = await ReadErrorMessageAsync(response, cancellationToken);
        var reason = message is null ? $"{what} returned {status}" : $"{what} returned {status}: {Redact(message, recipient)}";
        ProviderResult result = IsTransient(status)
            ? new ProviderUnavailable(reason, RetryAfter(response, time))
            : new ProviderRejected(reason);
        return logger.LogOutcome(provider, sendKey, result, status);
    }
}
