using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
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
            .Accepts<JsonObject>(SingleContentType, BatchContentType)
            .Produces<IngestResponse>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .ReadsOwnBody()
            .AddOpenApiOperationTransformer(CloudEventDocument.DescribeWebhookBody);
        return app;
    }

    private static async Task<Results<Accepted<IngestResponse>, ProblemHttpResult>> IngestAsync(
        HttpRequest request, WebhookIngest ingest, IOptionsMonitor<RetentionOptions> options, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var logger = loggers.CreateLogger("Retention.Ingest");
        var webhooks = options.CurrentValue.Webhooks;
        var mediaType = request.ContentType is { } contentType ? contentType.Split(';', 2)[0].Trim() : "";
        var body = await ReadBodyAsync(request, webhooks.MaxBodyBytes, cancellationToken);
        var delivery = new WebhookDelivery(mediaType, body, request.Headers[WebhookSignature.Header].ToString());
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
