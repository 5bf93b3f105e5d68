using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using Retention.Api.Composition;
using Retention.Application.Ingest;

namespace Retention.Api.Ingest;

public sealed record IngestResponse(int Accepted, int Duplicates);

/// <summary><c>POST /api/events</c>: signed CloudEvents from core systems, one or a batch, all-or-nothing.</summary>
public static class EventsEndpoints
{
    public const string SingleContentType = WebhookIngest.SingleContentType;
    public const string BatchContentType = WebhookIngest.BatchContentType;

    /// <summary>The rules a producer needs beyond the schema, in the OpenAPI document.</summary>
    public const string Description =
        "One CloudEvent 1.0, or a batch of up to 500 (all-or-nothing), signed with X-Retention-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<body>\">. "
        + "Content types, as the CloudEvents HTTP binding defines them: structured mode (application/cloudevents+json), a batch "
        + "(application/cloudevents-batch+json), or binary mode (ce-specversion, ce-id, ce-source and ce-type headers, optional ce-time, "
        + "ce-subject and extensions; the body is the data, as application/json or another +json type, and it is what is signed). "
        + "In binary mode a fault is named at its header (/headers/ce-id) or at its place in the body (/phone). Any other content type is refused with 415. "
        + "Event time: an event's optional `time` must lie at most 5 minutes ahead of the service's clock (a producer's clock drift) and at most 30 days behind it "
        + "(a late delivery); outside that window the request is refused with 400 naming `/time` (`/2/time` in a batch). Both limits are configurable "
        + "(Retention:Webhooks:MaxEventTimeAhead, Retention:Webhooks:MaxEventTimeBehind). An event's own time never extends how long an early event is buffered: "
        + "that is measured from when the service received it. Redelivery: the same body with the same signature within the 300 s timestamp tolerance is "
        + "acknowledged with 202 and its events counted as duplicates; a signature reused over another body is refused with 401. A repeated member name "
        + "in any object is refused with 400 at the second occurrence.";

    public static IEndpointRouteBuilder MapEventsEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/events", IngestAsync)
            .WithTags("Ingest")
            .WithSummary("Accept CloudEvents from a core system")
            .WithDescription(Description)
            .Produces<IngestResponse>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .ReadsOwnBody()
            // The bodies are declared in the document only: an Accepts constraint would make routing answer any other
            // content type (binary mode's among them) with a bare 415 before the endpoint could read it.
            .AddOpenApiOperationTransformer(CloudEventDocument.DescribeWebhookBody);
        return app;
    }

    private static async Task<Results<Accepted<IngestResponse>, ProblemHttpResult>> IngestAsync(
        HttpRequest request, WebhookIngest ingest, IOptionsMonitor<RetentionOptions> options, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var logger = loggers.CreateLogger("Retention.Ingest");
        var webhooks = options.CurrentValue.Webhooks;
        var body = await ReadBodyAsync(request, webhooks.MaxBodyBytes, cancellationToken);
        var delivery = new WebhookDelivery(request.ContentType, body, request.Headers[WebhookSignature.Header].ToString(), CloudEventHeaders(request));
        switch (await ingest.IngestAsync(delivery, webhooks, cancellationToken))
        {
            case WebhookAccepted accepted:
                logger.EventsIngested(accepted.Source, accepted.Result.Accepted, accepted.Result.Duplicates);
                return TypedResults.Accepted((string?)null, new IngestResponse(accepted.Result.Accepted, accepted.Result.Duplicates));
            case WebhookRefused refused:
                logger.EventsRejected(refused.Source, refused.Logged);
                if (refused.RetryAfter is { } retryAfter)
                {
                    request.HttpContext.Response.Headers.RetryAfter = ((int)retryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
                }
                return Problem(refused);
            case var other:
                throw new InvalidOperationException($"Unhandled webhook outcome {other}.");
        }
    }

    private static ProblemHttpResult Problem(WebhookRefused refused) => refused.Reason switch
    {
        WebhookRefusal.Invalid => refused.Title is { } title ? Problems.Validation(refused.Errors, title) : Problems.Validation(refused.Errors),
        WebhookRefusal.UnsupportedMediaType => Problems.Of(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", refused.Detail),
        WebhookRefusal.TooLarge => Problems.Of(StatusCodes.Status413PayloadTooLarge, "Payload too large", refused.Detail),
        WebhookRefusal.RateLimited => Problems.Of(StatusCodes.Status429TooManyRequests, "Too many requests", refused.Detail),
        _ => Problems.Of(StatusCodes.Status401Unauthorized, "Unauthorized", refused.Detail),
    };

    /// <summary>The <c>ce-*</c> headers, by lower-case name: a binary-mode event's attributes.</summary>
    private static Dictionary<string, string> CloudEventHeaders(HttpRequest request) =>
        request.Headers.Where(h => h.Key.StartsWith(CloudEventHttpBinding.HeaderPrefix, StringComparison.OrdinalIgnoreCase))
            .ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString(), StringComparer.Ordinal);

    /// <summary>Reads the raw body (the signature covers its exact bytes), or null when it exceeds the limit.</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        if (request.ContentLength > maxBytes)
        {
            return null;
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                return null;
            }
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}
