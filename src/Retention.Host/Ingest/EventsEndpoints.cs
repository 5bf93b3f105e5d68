using System.Text.Json;
using System.Text.Json.Nodes;
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
            .AllowAnonymous();
        return app;
    }

    private static async Task<Results<Accepted<IngestResponse>, ProblemHttpResult>> IngestAsync(
        HttpRequest request,
        EventIngestor ingestor,
        IOptionsMonitor<RetentionOptions> options,
        TimeProvider time,
        ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        var logger = loggers.CreateLogger("Retention.Ingest");
        var webhooks = options.CurrentValue.Webhooks;
        var body = await ReadBodyAsync(request, webhooks.MaxBodyBytes, cancellationToken);
        if (body is null)
        {
            return Problems.Of(StatusCodes.Status413PayloadTooLarge, "Payload too large", $"The body is over the {webhooks.MaxBodyBytes} byte limit.");
        }
        var signature = request.Headers[WebhookSignature.Header].ToString();
        if (signature.Length == 0)
        {
            return Problems.Of(StatusCodes.Status401Unauthorized, "Unauthorized", $"The {WebhookSignature.Header} header is missing.");
        }
        var batch = request.ContentType?.StartsWith(BatchContentType, StringComparison.OrdinalIgnoreCase) ?? false;
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(body, documentOptions: new JsonDocumentOptions { MaxDepth = 32 });
        }
        catch (JsonException e)
        {
            return Problems.Validation([new DefinitionError("", $"the body is not valid JSON ({e.Message})")]);
        }
        var nodes = batch ? (root as JsonArray)?.ToList() : [root];
        if (nodes is null)
        {
            return Problems.Validation([new DefinitionError("", "a batch must be a JSON array of CloudEvents")]);
        }
        if (nodes.Count is 0 or > CloudEventReader.MaxBatch)
        {
            return Problems.Validation([new DefinitionError("", $"a batch holds 1 to {CloudEventReader.MaxBatch} events; this one has {nodes.Count}")]);
        }
        var source = (nodes[0] as JsonObject)?["source"] is JsonValue s && s.TryGetValue<string>(out var text) ? text : null;
        if (source is null || !webhooks.Sources.TryGetValue(source, out var known))
        {
            logger.EventsRejected(null, "unknown source");
            return Problems.Of(StatusCodes.Status401Unauthorized, "Unauthorized", "The event source is not registered for webhooks.");
        }
        if (WebhookSignature.Verify(signature, known.Secrets, body, time.GetUtcNow(), webhooks.TimestampTolerance) is { } failure)
        {
            logger.EventsRejected(source, failure);
            return Problems.Of(StatusCodes.Status401Unauthorized, "Unauthorized", failure);
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
            logger.EventsRejected(source, $"{errors.Count} validation errors");
            return Problems.Validation(errors, "The events are not valid; none were accepted");
        }
        var result = await ingestor.IngestAsync(events, batch ? "/{0}" : "", cancellationToken);
        if (!result.IsValid)
        {
            return Problems.Validation(result.Errors, "The events are not valid; none were accepted");
        }
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
