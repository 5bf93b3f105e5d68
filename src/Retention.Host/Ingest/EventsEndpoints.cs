using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Retention.Core.Definitions;
using Retention.Core.Events;
using Retention.Host.Composition;
using Retention.Storage.Ingest;

namespace Retention.Host.Ingest;

public sealed record IngestResponse(int Accepted, int Duplicates);

/// <summary><c>POST /api/events</c>: signed CloudEvents from core systems, one or a batch, all-or-nothing.</summary>
public static class EventsEndpoints
{
    public const string SingleContentType = "application/cloudevents+json";
    public const string BatchContentType = "application/cloudevents-batch+json";

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
            .ReadsOwnBody();
        return app;
    }

    private static async Task<Results<Accepted<IngestResponse>, ProblemHttpResult>> IngestAsync(
        HttpRequest request,
        EventIngestor ingestor,
        WebhookRateLimiter rateLimiter,
        IngestMetrics metrics,
        IOptionsMonitor<RetentionOptions> options,
        TimeProvider time,
        ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        var logger = loggers.CreateLogger("Retention.Ingest");
        var webhooks = options.CurrentValue.Webhooks;
        ProblemHttpResult Reject(string reason, string? source, string logged, ProblemHttpResult problem)
        {
            metrics.Rejected(reason);
            logger.EventsRejected(source, logged);
            return problem;
        }
        var mediaType = request.ContentType is { } contentType ? contentType.Split(';', 2)[0].Trim() : "";
        var batch = mediaType.Equals(BatchContentType, StringComparison.OrdinalIgnoreCase);
        if (!batch && !mediaType.Equals(SingleContentType, StringComparison.OrdinalIgnoreCase) && !mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return Reject("unsupported_media_type", null, "unsupported content type", Problems.Of(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type",
                $"Send one event as {SingleContentType} or a batch as {BatchContentType}."));
        }
        var body = await ReadBodyAsync(request, webhooks.MaxBodyBytes, cancellationToken);
        if (body is null)
        {
            return Reject("too_large", null, "body too large", Problems.Of(StatusCodes.Status413PayloadTooLarge, "Payload too large", $"The body is over the {webhooks.MaxBodyBytes} byte limit."));
        }
        var signature = request.Headers[WebhookSignature.Header].ToString();
        if (signature.Length == 0)
        {
            return Reject("unsigned", null, "signature missing", Problems.Of(StatusCodes.Status401Unauthorized, "Unauthorized", $"The {WebhookSignature.Header} header is missing."));
        }
        if (!Utf8.IsValid(body))
        {
            return Reject("invalid", null, "body is not UTF-8", Problems.Validation([new DefinitionError("", "the body is not valid UTF-8")]));
        }
        var root = StrictJson.Parse(body, out var malformed, maxDepth: 32);
        if (malformed is not null)
        {
            return Reject("invalid", null, "body is not JSON", Problems.Validation([malformed]));
        }
        if (!CloudEventReader.IsWellFormedText(root))
        {
            return Reject("invalid", null, "broken Unicode", Problems.Validation([new DefinitionError("", "the body holds a broken Unicode escape (a lone surrogate such as \\ud800); send well-formed UTF-16 in every string")]));
        }
        var nodes = batch ? (root as JsonArray)?.ToList() : [root];
        if (nodes is null)
        {
            return Reject("invalid", null, "batch is not an array", Problems.Validation([new DefinitionError("", "a batch must be a JSON array of CloudEvents")]));
        }
        if (nodes.Count is 0 or > CloudEventReader.MaxBatch)
        {
            return Reject("invalid", null, "batch size", Problems.Validation([new DefinitionError("", $"a batch holds 1 to {CloudEventReader.MaxBatch} events; this one has {nodes.Count}")]));
        }
        var sourceNode = (nodes[0] as JsonObject)?["source"];
        var source = sourceNode is JsonValue s && s.TryGetValue<string>(out var text) ? text : null;
        if (source is null)
        {
            // Which secret to check the signature with is unknown, but what is missing is plain: say so, not "unauthorized".
            return Reject("invalid", null, "source missing", Problems.Validation([new DefinitionError(batch ? "/0/source" : "/source",
                nodes[0] is not JsonObject ? "an event must be a JSON object with a source" : sourceNode is null ? "is required: the registered source that signs the request" : "must be a string")]));
        }
        if (!webhooks.Sources.TryGetValue(source, out var known))
        {
            return Reject("unknown_source", null, "unknown source", Problems.Of(StatusCodes.Status401Unauthorized, "Unauthorized", "The event source is not registered for webhooks."));
        }
        var now = time.GetUtcNow();
        var failure = WebhookSignature.Verify(signature, known.Secrets, body, now, webhooks.TimestampTolerance, out var matched);
        if (failure is not null || matched is null)
        {
            failure ??= "the signature does not match";
            return Reject("bad_signature", source, failure, Problems.Of(StatusCodes.Status401Unauthorized, "Unauthorized", failure));
        }
        if (rateLimiter.TryAcquire(source, nodes.Count) is { } retryAfter)
        {
            var seconds = (int)Math.Max(1, Math.Ceiling(retryAfter.TotalSeconds));
            request.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            return Reject("rate_limited", source, "rate limited", Problems.Of(StatusCodes.Status429TooManyRequests, "Too many requests",
                $"Source {source} is over its rate limit of {rateLimiter.PerSecondFor(source)} events per second; retry after {seconds} s."));
        }
        var errors = new List<DefinitionError>();
        var events = new List<IncomingEvent>();
        var window = new EventTimeWindow(now, webhooks.MaxEventTimeAhead, webhooks.MaxEventTimeBehind);
        for (var i = 0; i < nodes.Count; i++)
        {
            var prefix = batch ? $"/{i}" : "";
            if (CloudEventReader.Read(nodes[i], prefix, errors, window) is { } incoming)
            {
                if (incoming.Source != source)
                {
                    errors.Add(new DefinitionError($"{prefix}/source", "every event in a batch must come from the source that signed it"));
                }
                events.Add(incoming);
            }
        }
        if (errors.Count > 0)
        {
            return Reject("invalid", source, $"{errors.Count} validation errors", Problems.Validation(errors, "The events are not valid; none were accepted"));
        }
        // Reads only: which events were applied before, which customer each complaint belongs to.
        var plan = await ingestor.PrepareAsync(events, batch ? "/{0}" : "", cancellationToken);
        if (plan.Errors.Count > 0)
        {
            return Reject("invalid", source, $"{plan.Errors.Count} validation errors", Problems.Validation(plan.Errors, "The events are not valid; none were accepted"));
        }
        // One write accepts the events and remembers the signature; they are applied behind this answer. An identical
        // redelivery (same signature, same body) finds the signature and is answered as duplicates: its events are
        // already accepted.
        var signed = new AcceptedSignature(source, matched.Timestamp, matched.Hmac, Convert.ToHexStringLower(SHA256.HashData(body)),
            DateTimeOffset.FromUnixTimeSeconds(matched.Timestamp) + webhooks.TimestampTolerance);
        IngestResult result;
        SignatureUse use;
        try
        {
            (result, use) = await ingestor.AcceptAsync(plan, signed, cancellationToken);
        }
        catch (InboxRowTooLargeException tooLarge)
        {
            return Reject("too_large", source, "events too large compressed", Problems.Of(StatusCodes.Status413PayloadTooLarge, "Payload too large",
                $"{tooLarge.Message} Send the events in smaller batches."));
        }
        if (use == SignatureUse.Reused)
        {
            return Reject("replayed", source, "signature reused over another body", Problems.Of(StatusCodes.Status401Unauthorized, "Unauthorized",
                "This signature was already used over another body; sign every delivery with a fresh timestamp."));
        }
        foreach (var type in result.AcceptedTypes)
        {
            metrics.Ingested(CloudEventReader.IsKnownType(type) ? type : "custom");
        }
        metrics.Duplicates(result.Duplicates);
        logger.EventsIngested(source, result.Accepted, result.Duplicates);
        return TypedResults.Accepted((string?)null, new IngestResponse(result.Accepted, result.Duplicates));
    }

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
