using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Retention.Channels.Providers;

namespace Retention.Channels.Acs;

/// <summary>Where ACS is with one email operation.</summary>
public enum EmailSendStatus
{
    NotStarted,
    Running,
    Succeeded,
    Failed,
    Canceled,
}

/// <summary>The answer to a status poll.</summary>
public abstract record EmailStatusResult;

/// <summary>ACS reported the operation's status; <see cref="ErrorCode"/> is its error code when it failed.</summary>
public sealed record EmailStatusReported(EmailSendStatus Status, string? ErrorCode) : EmailStatusResult;

/// <summary>The status could not be read now (throttled, unreachable, unknown operation); poll again later or give up.</summary>
public sealed record EmailStatusUnavailable(string Reason, int? StatusCode, TimeSpan? RetryAfter) : EmailStatusResult;

/// <summary>
/// Sends one email through ACS's REST API in a single attempt, under the send's fixed Operation-Id so that a later
/// attempt after a crash or a transient failure is the same operation at ACS, not a second email. Polling the
/// operation's status is separate (<see cref="GetStatusAsync"/>): the send never waits on it.
/// </summary>
public sealed class AcsEmailProvider(IHttpClientFactory httpClients, IOptions<AcsEmailOptions> options, TimeProvider time, ILogger<AcsEmailProvider> logger) : IEmailProvider
{
    /// <summary>The named HttpClient: ACS endpoint as base address, signed by <see cref="AcsSigningHandler"/>.</summary>
    public const string HttpClientName = "Retention.Channels.Acs.Email";

    private const string ApiVersion = "2023-03-31";
    private const string OperationIdHeader = "Operation-Id";
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    // Read once, at construction: an invalid configuration fails when the provider is first resolved.
    private readonly AcsEmailOptions _options = options.Value;

    public string Name => "acs";

    public async Task<ProviderResult> SendAsync(EmailRequest request, CancellationToken cancellationToken)
    {
        var sender = _options.SenderAddress ?? throw new InvalidOperationException($"{AcsEmailOptions.Section}:SenderAddress is not configured.");
        var body = JsonSerializer.SerializeToUtf8Bytes(
            new AcsEmailSendRequest(
                sender,
                new AcsEmailRecipients([new AcsEmailAddress(request.To, request.DisplayName)]),
                new AcsEmailContent(request.Subject, request.Text, request.Html),
                new Dictionary<string, string> { ["ClientCorrelationId"] = request.SendKey },
                UserEngagementTrackingDisabled: true),
            AcsJsonContext.Default.AcsEmailSendRequest);
        // "./" keeps "emails:send" from being read as an absolute URI with the scheme "emails".
        using var message = new HttpRequestMessage(HttpMethod.Post, new Uri($"./emails:send?api-version={ApiVersion}", UriKind.Relative))
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = Json } },
        };
        var operationId = request.OperationId.ToString("D");
        message.Headers.Add(OperationIdHeader, operationId);

        var (sent, failure) = await AcsHttpResponses.SendAsync(httpClients.CreateClient(HttpClientName), message, logger, Name, request.SendKey,
            _options.RequestTimeout, cancellationToken);
        if (sent is not { } response)
        {
            return failure!;
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                // Delivery reports carry the operation id as their messageId.
                return logger.LogOutcome(Name, request.SendKey, new ProviderAccepted(operationId), status);
            }
            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            {
                logger.ProviderCredentialsRefused(Name, request.SendKey, status);
            }
            return logger.LogOutcome(Name, request.SendKey,
                await AcsHttpResponses.FailureAsync(response, "ACS email", request.To, time, cancellationToken), status);
        }
    }

    /// <summary>Reads the status of a send's operation (its Operation-Location), one signed GET, no waiting.</summary>
    public async Task<EmailStatusResult> GetStatusAsync(Guid operationId, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Get,
            new Uri($"./emails/operations/{operationId:D}?api-version={ApiVersion}", UriKind.Relative));
        HttpResponseMessage response;
        try
        {
            response = await httpClients.CreateClient(HttpClientName).SendAsync(message, cancellationToken);
        }
        catch (HttpRequestException exception)
        {
            logger.EmailStatusUnavailable(operationId, null, exception.HttpRequestError.ToString());
            return new EmailStatusUnavailable($"ACS could not be reached ({exception.HttpRequestError})", null, null);
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            logger.EmailStatusUnavailable(operationId, null, "timeout");
            return new EmailStatusUnavailable($"ACS did not answer within {_options.RequestTimeout}", null, null);
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            if (!response.IsSuccessStatusCode)
            {
                logger.EmailStatusUnavailable(operationId, status, null);
                var error = await AcsHttpResponses.ReadErrorMessageAsync(response, cancellationToken);
                return new EmailStatusUnavailable(error is null ? $"ACS returned {status}" : $"ACS returned {status}: {error}",
                    status, AcsHttpResponses.RetryAfter(response, time));
            }
            AcsEmailOperation? operation;
            try
            {
                operation = JsonSerializer.Deserialize(await response.Content.ReadAsByteArrayAsync(cancellationToken), AcsJsonContext.Default.AcsEmailOperation);
            }
            catch (JsonException)
            {
                operation = null;
            }
            if (!Enum.TryParse<EmailSendStatus>(operation?.Status, ignoreCase: true, out var sendStatus) || !Enum.IsDefined(sendStatus))
            {
                logger.EmailStatusUnavailable(operationId, status, "unknown status");
                return new EmailStatusUnavailable($"ACS answered {status} without a known status", status, null);
            }
            logger.EmailStatusPolled(operationId, sendStatus);
            // The error code only: ACS's error message for a failed send may quote the recipient.
            return new EmailStatusReported(sendStatus, operation!.Error?.Code);
        }
    }
}
