using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Retention.Channels.Providers;
using Retention.Core.Ports;

namespace Retention.Channels.Acs;

/// <summary>
/// Sends one SMS through ACS's REST API in a single attempt. The caller turns <see cref="ProviderUnavailable"/> into
/// a durable deferral, so nothing here waits or retries; the repeatability id and first-sent time it was given make
/// that later attempt a no-op at ACS if this one in fact got through.
/// </summary>
public sealed class AcsSmsProvider(IHttpClientFactory httpClients, IOptions<AcsSmsOptions> options, TimeProvider time, ILogger<AcsSmsProvider> logger) : ISmsProvider
{
    /// <summary>The named HttpClient: ACS endpoint as base address, signed by <see cref="AcsSigningHandler"/>.</summary>
    public const string HttpClientName = "Retention.Channels.Acs.Sms";

    /// <summary>ACS refuses longer messages.</summary>
    public const int MaxMessageLength = 2048;

    private static readonly Uri SendPath = new("./sms?api-version=2021-03-07", UriKind.Relative);
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    // Read once, at construction: an invalid configuration fails when the provider is first resolved.
    private readonly AcsSmsOptions _options = options.Value;

    public string Name => "acs";

    public async Task<ProviderResult> SendAsync(SmsRequest request, CancellationToken cancellationToken)
    {
        if (request.Body.Length > MaxMessageLength)
        {
            return logger.LogOutcome(Name, request.SendKey,
                new ProviderRejected($"the message is {request.Body.Length} characters; ACS takes at most {MaxMessageLength}"), null);
        }
        var from = _options.From ?? throw new InvalidOperationException($"{AcsSmsOptions.Section}:From is not configured.");
        var body = JsonSerializer.SerializeToUtf8Bytes(
            new AcsSmsSendRequest(
                from,
                [new AcsSmsRecipient(request.To, request.RepeatabilityId.ToString("D"), AcsRequestSigner.FormatDate(request.FirstAttemptAt))],
                request.Body,
                new AcsSmsSendOptions(EnableDeliveryReport: true, request.Tag)),
            AcsJsonContext.Default.AcsSmsSendRequest);
        using var message = new HttpRequestMessage(HttpMethod.Post, SendPath)
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = Json } },
        };

        var (sent, failure) = await AcsHttpResponses.SendAsync(httpClients.CreateClient(HttpClientName), message, logger, Name, request.SendKey,
            _options.RequestTimeout, cancellationToken);
        if (sent is not { } response)
        {
            return failure!;
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                return await AcsHttpResponses.RefusedAsync(response, logger, Name, request.SendKey, "ACS SMS", request.To, time, cancellationToken);
            }
            var (result, recipientStatus) = await ReadRecipientResultAsync(response, request, cancellationToken);
            return logger.LogOutcome(Name, request.SendKey, result, recipientStatus ?? (int)response.StatusCode);
        }
    }

    /// <summary>A 202 can still carry a failure: each recipient has its own status.</summary>
    private async Task<(ProviderResult Result, int? RecipientStatus)> ReadRecipientResultAsync(
        HttpResponseMessage response, SmsRequest request, CancellationToken cancellationToken)
    {
        AcsSmsSendResponse? reply;
        try
        {
            reply = JsonSerializer.Deserialize(await response.Content.ReadAsByteArrayAsync(cancellationToken), AcsJsonContext.Default.AcsSmsSendResponse);
        }
        catch (JsonException)
        {
            reply = null;
        }
        // One recipient per request; ACS may normalise the number it echoes, so fall back to the only entry.
        var results = reply?.Value ?? [];
        var recipient = results.FirstOrDefault(r => string.Equals(r.To, request.To, StringComparison.Ordinal)) ?? (results.Count > 0 ? results[0] : null);
        if (recipient is null)
        {
            // Unknown whether it went out; a retry with the same repeatability id cannot send it twice.
            return (new ProviderUnavailable($"ACS answered {(int)response.StatusCode} without a result for the recipient", null), null);
        }
        if (recipient.Successful)
        {
            return (new ProviderAccepted(recipient.MessageId ?? request.RepeatabilityId.ToString("D")), recipient.HttpStatusCode);
        }
        var reason = $"ACS refused the recipient with {recipient.HttpStatusCode}"
            + (string.IsNullOrWhiteSpace(recipient.ErrorMessage) ? "" : ": " + AcsHttpResponses.Redact(recipient.ErrorMessage, request.To, recipient.To, request.To.TrimStart('+')));
        ProviderResult result = AcsHttpResponses.IsTransient(recipient.HttpStatusCode)
            ? new ProviderUnavailable(reason, AcsHttpResponses.RetryAfter(response, time))
            : new ProviderRejected(reason);
        return (result, recipient.HttpStatusCode);
    }
}
