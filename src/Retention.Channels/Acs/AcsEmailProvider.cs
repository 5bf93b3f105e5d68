using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Retention.Channels.Providers;
using Retention.Core.Ports;

namespace Retention.Channels.Acs;

/// <summary>
/// Sends one email through ACS's REST API in a single attempt, under the send's fixed Operation-Id so that a later
/// attempt after a crash or a transient failure is the same operation at ACS, not a second email. The send never
/// waits on the operation: its outcome comes back as an Event Grid delivery report keyed by the operation id.
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
            return response.IsSuccessStatusCode
                // Delivery reports carry the operation id as their messageId.
                ? logger.LogOutcome(Name, request.SendKey, new ProviderAccepted(operationId), (int)response.StatusCode)
                : await AcsHttpResponses.RefusedAsync(response, logger, Name, request.SendKey, "ACS email", request.To, time, cancellationToken);
        }
    }
}
