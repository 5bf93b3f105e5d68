using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text.Unicode;
using Retention.Core.Definitions;
using Retention.Core.Events;
using Retention.Core.Ports;

namespace Retention.Application.Ingest;

/// <summary>
/// A webhook delivery as it arrived: its Content-Type header, raw body (null when over the size limit), signature header,
/// and its <c>ce-*</c> headers by lower-case name (the attributes of a binary-mode event).
/// </summary>
public sealed record WebhookDelivery(string? ContentType, byte[]? Body, string Signature, IReadOnlyDictionary<string, string>? CloudEventHeaders = null);

public abstract record WebhookOutcome;

public sealed record WebhookAccepted(string Source, IngestResult Result) : WebhookOutcome;

/// <summary>Why a delivery was refused; each maps to one HTTP status at the edge.</summary>
public enum WebhookRefusal { UnsupportedMediaType, TooLarge, Unsigned, Invalid, UnknownSource, BadSignature, RateLimited, Replayed }

/// <param name="Source">The source, once its signature is checked; null before.</param>
/// <param name="Logged">What the log says, never the body.</param>
/// <param name="Detail">What the producer is told; for <see cref="WebhookRefusal.Invalid"/>, <see cref="Errors"/> say it.</param>
/// <param name="Title">The problem's title for <see cref="WebhookRefusal.Invalid"/>, when not the default.</param>
public sealed record WebhookRefused(WebhookRefusal Reason, string? Source, string Logged, string Detail,
    IReadOnlyList<DefinitionError> Errors, string? Title = null, TimeSpan? RetryAfter = null) : WebhookOutcome;

/// <summary>The per-source rate limit, as the edge implements it.</summary>
public interface IWebhookRateLimit
{
    /// <returns>null when the events may proceed, otherwise how long the source should wait before retrying.</returns>
    TimeSpan? TryAcquire(string source, int events);

    int PerSecondFor(string source);
}

/// <summary>
/// The webhook use case (<c>POST /api/events</c>): the CloudEvents mode (structured, batch or binary), signature, UTF-8,
/// JSON, batch shape, source, rate limit, validation of every event, then one durable write that accepts them all or none;
/// each refusal counted by reason. The signature covers the raw body in every mode (in binary mode, the data).
/// </summary>
public sealed class WebhookIngest(EventIngestor ingestor, IWebhookRateLimit rateLimit, IngestMetrics metrics, TimeProvider time)
{
    public const string SingleContentType = CloudEventHttpBinding.StructuredContentType;
    public const string BatchContentType = CloudEventHttpBinding.BatchContentType;

    private const string EventsNotValid = "The events are not valid; none were accepted";

    public async Task<WebhookOutcome> IngestAsync(WebhookDelivery delivery, WebhookOptions webhooks, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        ArgumentNullException.ThrowIfNull(webhooks);
        var mode = CloudEventHttpBinding.ModeOf(delivery.ContentType);
        if (mode == CloudEventMode.Unsupported)
        {
            return Refuse(WebhookRefusal.UnsupportedMediaType, null, "unsupported content type", CloudEventHttpBinding.AcceptedContentTypes);
        }
        var batch = mode == CloudEventMode.Batch;
        var binary = mode == CloudEventMode.Binary;
        var headers = delivery.CloudEventHeaders ?? new Dictionary<string, string>();
        if (delivery.Body is not { } body)
        {
            return Refuse(WebhookRefusal.TooLarge, null, "body too large", $"The body is over the {webhooks.MaxBodyBytes} byte limit.");
        }
        if (delivery.Signature.Length == 0)
        {
            return Refuse(WebhookRefusal.Unsigned, null, "signature missing", $"The {WebhookSignature.Header} header is missing.");
        }
        if (binary && CloudEventHttpBinding.MissingHeaders(headers) is { Count: > 0 } missing)
        {
            return Invalid(null, "binary mode attributes missing", missing);
        }
        if (!Utf8.IsValid(body))
        {
            return Invalid(null, "body is not UTF-8", [new DefinitionError("", "the body is not valid UTF-8")]);
        }
        var root = StrictJson.Parse(body, out var malformed, maxDepth: 32);
        if (malformed is not null)
        {
            return Invalid(null, "body is not JSON", [malformed]);
        }
        if (!CloudEventReader.IsWellFormedText(root))
        {
            return Invalid(null, "broken Unicode", [new DefinitionError("", "the body holds a broken Unicode escape (a lone surrogate such as \\ud800); send well-formed UTF-16 in every string")]);
        }
        var nodes = mode switch
        {
            CloudEventMode.Batch => (root as JsonArray)?.ToList(),
            CloudEventMode.Binary => [CloudEventHttpBinding.Envelope(headers, delivery.ContentType!, root)],
            _ => [root],
        };
        if (nodes is null)
        {
            return Invalid(null, "batch is not an array", [new DefinitionError("", "a batch must be a JSON array of CloudEvents")]);
        }
        if (nodes.Count is 0 or > CloudEventReader.MaxBatch)
        {
            return Invalid(null, "batch size", [new DefinitionError("", $"a batch holds 1 to {CloudEventReader.MaxBatch} events; this one has {nodes.Count}")]);
        }
        var sourceNode = (nodes[0] as JsonObject)?["source"];
        var source = sourceNode is JsonValue s && s.TryGetValue<string>(out var text) ? text : null;
        if (source is null)
        {
            // Which secret to check the signature with is unknown, but what is missing is plain: say so, not "unauthorized".
            return Invalid(null, "source missing", [new DefinitionError(batch ? "/0/source" : "/source",
                nodes[0] is not JsonObject ? "an event must be a JSON object with a source" : sourceNode is null ? "is required: the registered source that signs the request" : "must be a string")]);
        }
        if (!webhooks.Sources.TryGetValue(source, out var known))
        {
            return Refuse(WebhookRefusal.UnknownSource, null, "unknown source", "The event source is not registered for webhooks.");
        }
        var now = time.GetUtcNow();
        var failure = WebhookSignature.Verify(delivery.Signature, known.Secrets, body, now, webhooks.TimestampTolerance, out var matched);
        if (failure is not null || matched is null)
        {
            failure ??= "the signature does not match";
            return Refuse(WebhookRefusal.BadSignature, source, failure, failure);
        }
        if (rateLimit.TryAcquire(source, nodes.Count) is { } retryAfter)
        {
            var seconds = (int)Math.Max(1, Math.Ceiling(retryAfter.TotalSeconds));
            return Refuse(WebhookRefusal.RateLimited, source, "rate limited",
                $"Source {source} is over its rate limit of {rateLimit.PerSecondFor(source)} events per second; retry after {seconds} s.", TimeSpan.FromSeconds(seconds));
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
            return Invalid(source, $"{errors.Count} validation errors", binary ? [.. errors.Select(CloudEventHttpBinding.AsSentInBinaryMode)] : errors, EventsNotValid);
        }
        // Reads only: which events were applied before, which customer each complaint belongs to.
        var plan = await ingestor.PrepareAsync(events, batch ? "/{0}" : "", cancellationToken);
        if (plan.Errors.Count > 0)
        {
            return Invalid(source, $"{plan.Errors.Count} validation errors", binary ? [.. plan.Errors.Select(CloudEventHttpBinding.AsSentInBinaryMode)] : plan.Errors, EventsNotValid);
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
            return Refuse(WebhookRefusal.TooLarge, source, "events too large compressed", $"{tooLarge.Message} Send the events in smaller batches.");
        }
        if (use == SignatureUse.Reused)
        {
            return Refuse(WebhookRefusal.Replayed, source, "signature reused over another body",
                "This signature was already used over another body; sign every delivery with a fresh timestamp.");
        }
        metrics.Accepted(result.AcceptedTypes.Count);
        foreach (var type in result.AcceptedTypes)
        {
            metrics.Ingested(type);
        }
        metrics.Duplicates(result.Duplicates);
        return new WebhookAccepted(source, result);
    }

    private WebhookRefused Refuse(WebhookRefusal reason, string? source, string logged, string detail, TimeSpan? retryAfter = null) =>
        Counted(new WebhookRefused(reason, source, logged, detail, [], RetryAfter: retryAfter));

    private WebhookRefused Invalid(string? source, string logged, IReadOnlyList<DefinitionError> errors, string? title = null) =>
        Counted(new WebhookRefused(WebhookRefusal.Invalid, source, logged, "", errors, title));

    private WebhookRefused Counted(WebhookRefused refused)
    {
        metrics.Rejected(IngestMetrics.ReasonOf(refused.Reason));
        return refused;
    }
}
