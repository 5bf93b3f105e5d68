using System.Globalization;
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

    public static IEndpointRouteBuilder MapEventsEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/events", IngestAsync)
            .WithTags("Ingest")
            .WithSummary("Accept CloudEvents from a core system")
            .Accepts<JsonObject>(SingleContentType, BatchContentType)
            .Produces<IngestResponse>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .AllowAnonymous();
        return app;
    }

    private static async Task<Results<Accepted<IngestResponse>, ProblemHttpResult>> IngestAsync(
        HttpRequest request,
        EventIngestor ingestor,
        SeenSignatureStore seenSignatures,
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
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(body, documentOptions: new JsonDocumentOptions { MaxDepth = 32 });
        }
        catch (JsonException e)
        {
            return Reject("invalid", null, "body is not JSON", Problems.Validation([new DefinitionError("", $"the body is not valid JSON ({e.Message})")]));
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
        var source = (nodes[0] as JsonObject)?["source"] is JsonValue s && s.TryGetValue<string>(out var text) ? text : null;
        if (source is null || !webhooks.Sources.TryGetValue(source, out var known))
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
        for (var i = 0; i < nodes.Count; i++)
        {
            var prefix = batch ? $"/{i}" : "";
            if (CloudEventReader.Read(nodes[i], prefix, errors) is { } incoming)
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
        // The replay check writes and the ingest plan only reads, so they run at once; nothing of the events is
        // written until both say go.
        var expiresAt = DateTimeOffset.FromUnixTimeSeconds(matched.Timestamp) + webhooks.TimestampTolerance;
        var fresh = seenSignatures.TryRecordAsync(source, matched.Timestamp, matched.Hmac, expiresAt, cancellationToken);
        var planning = ingestor.PrepareAsync(events, batch ? "/{0}" : "", cancellationToken);
        await Task.WhenAll(fresh, planning);
        if (!await fresh)
        {
            return Reject("replayed", source, "signature replayed", Problems.Of(StatusCodes.Status401Unauthorized, "Unauthorized",
                "This signature was already used; sign every delivery, including a retry, with a fresh timestamp."));
        }
        var result = await ingestor.CommitAsync(await planning, cancellationToken);
        if (!result.IsValid)
        {
            return Reject("invalid", source, $"{result.Errors.Count} validation errors", Problems.Validation(result.Errors, "The events are not valid; none were accepted"));
        }
        foreach (var type in result.AcceptedTypes ?? [])
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
