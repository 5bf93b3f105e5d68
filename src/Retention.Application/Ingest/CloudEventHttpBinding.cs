using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Retention.Core.Definitions;

namespace Retention.Application.Ingest;

/// <summary>How a webhook delivery carries its events, as the CloudEvents HTTP protocol binding defines the modes.</summary>
public enum CloudEventMode
{
    /// <summary>One event as a JSON object, attributes and data together (<c>application/cloudevents+json</c>).</summary>
    Structured,

    /// <summary>A JSON array of structured events (<c>application/cloudevents-batch+json</c>).</summary>
    Batch,

    /// <summary>One event whose attributes are <c>ce-*</c> headers and whose body is its data, here JSON.</summary>
    Binary,

    /// <summary>A content type the service cannot read events from.</summary>
    Unsupported,
}

/// <summary>
/// The CloudEvents HTTP protocol binding, as far as the webhook reads it: which mode a Content-Type means, the envelope of
/// a binary-mode event built from its <c>ce-*</c> headers (percent-decoded) and body, with the Content-Type as its
/// <c>datacontenttype</c>, and its faults said where the producer put them (a header, or a pointer into the body).
/// </summary>
public static class CloudEventHttpBinding
{
    public const string StructuredContentType = "application/cloudevents+json";
    public const string BatchContentType = "application/cloudevents-batch+json";
    public const string HeaderPrefix = "ce-";

    /// <summary>What a producer is told when its content type is refused: every content type the webhook reads.</summary>
    public const string AcceptedContentTypes =
        $"Send one event as {StructuredContentType}, a batch as {BatchContentType}, or one event in binary mode: "
        + "its attributes as ce-specversion, ce-id, ce-source and ce-type headers (ce-time, ce-subject and extensions optional) "
        + "and its data as the body, in application/json or another +json media type.";

    /// <summary>The attributes every binary-mode event carries, as headers.</summary>
    public static readonly IReadOnlyList<string> RequiredHeaders = ["ce-specversion", "ce-id", "ce-source", "ce-type"];

    public static CloudEventMode ModeOf(string? contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var parsed) || parsed.MediaType is not { } mediaType)
        {
            return CloudEventMode.Unsupported;
        }
        if (mediaType.Equals(StructuredContentType, StringComparison.OrdinalIgnoreCase))
        {
            return CloudEventMode.Structured;
        }
        if (mediaType.Equals(BatchContentType, StringComparison.OrdinalIgnoreCase))
        {
            return CloudEventMode.Batch;
        }
        // Any other content type is binary mode; the journeys read data as JSON, so only JSON data is accepted.
        return IsJson(mediaType) ? CloudEventMode.Binary : CloudEventMode.Unsupported;
    }

    private static bool IsJson(string mediaType) =>
        mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
        || mediaType.Equals("text/json", StringComparison.OrdinalIgnoreCase)
        || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase);

    /// <summary>The required attribute headers a binary-mode delivery lacks, each at <c>/headers/ce-…</c>.</summary>
    public static IReadOnlyList<DefinitionError> MissingHeaders(IReadOnlyDictionary<string, string> headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        // A structured event sent as application/json has none of them: say how to send it either way.
        var hint = headers.Count == 0 ? $"; or send a structured event as {StructuredContentType}" : "";
        return [.. RequiredHeaders.Where(h => !headers.ContainsKey(h))
            .Select(h => new DefinitionError($"/headers/{h}", $"is required in binary mode (attributes as ce-* headers, the data as the body){hint}"))];
    }

    /// <summary>The event as a structured envelope: each <c>ce-</c> header an attribute, the body its data.</summary>
    /// <param name="headers">The delivery's <c>ce-*</c> headers, by lower-case name.</param>
    public static JsonObject Envelope(IReadOnlyDictionary<string, string> headers, string contentType, JsonNode? data)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var envelope = new JsonObject();
        foreach (var (name, value) in headers)
        {
            envelope[name[HeaderPrefix.Length..]] = Uri.UnescapeDataString(value);
        }
        envelope["datacontenttype"] = contentType;
        envelope["data"] = data;
        return envelope;
    }

    /// <summary>A fault in the envelope, at the place a binary-mode producer wrote it: an attribute at its header, data in the body.</summary>
    public static DefinitionError AsSentInBinaryMode(DefinitionError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return error.Path switch
        {
            "/data" => error with { Path = "" },
            var path when path.StartsWith("/data/", StringComparison.Ordinal) => error with { Path = path["/data".Length..] },
            var path when path.StartsWith('/') => error with { Path = $"/headers/{HeaderPrefix}{path[1..]}" },
            _ => error,
        };
    }
}
