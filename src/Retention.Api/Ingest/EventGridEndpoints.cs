using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Messaging;
using Azure.Messaging.EventGrid;
using Azure.Messaging.EventGrid.SystemEvents;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Retention.Api.Composition;
using Retention.Application.Inbound;
using Retention.Application.Ingest;
using Retention.Core.Definitions;

namespace Retention.Api.Ingest;

public sealed record EventGridAccepted(int Handled, int Ignored);

/// <summary>
/// <c>/api/events/eventgrid</c>: Azure Communication Services events through Event Grid — inbound SMS and SMS/email
/// delivery reports — in the Event Grid schema or the CloudEvents schema, with both subscription handshakes.
/// Protected by a key in the query string (<c>?key=</c>), configured as <c>Retention:EventGrid:Key</c>.
/// </summary>
public static class EventGridEndpoints
{
    public const string Route = "/api/events/eventgrid";

    public static IEndpointRouteBuilder MapEventGridEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapMethods(Route, ["OPTIONS"], CloudEventsHandshake).WithTags("Ingest").WithSummary("CloudEvents webhook validation handshake")
            .Produces(StatusCodes.Status200OK)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .AddOpenApiOperationTransformer(CloudEventDocument.DescribeHandshake);
        // The body is read as sent, whatever its content type: described for the document, not declared to routing.
        app.MapPost(Route, ReceiveAsync).WithTags("Ingest").WithSummary("ACS events from Event Grid: inbound SMS and delivery reports")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .AddOpenApiOperationTransformer(CloudEventDocument.DescribeEventGridBody);
        return app;
    }

    private static IResult CloudEventsHandshake(HttpContext http, IOptionsMonitor<RetentionOptions> options, IngestMetrics metrics)
    {
        if (!KeyMatches(http, options.CurrentValue))
        {
            return Unauthorized(metrics);
        }
        var origin = http.Request.Headers["WebHook-Request-Origin"].ToString();
        if (origin.Length == 0)
        {
            return Rejected(metrics, [new DefinitionError("/headers/WebHook-Request-Origin", "is required for the CloudEvents handshake")]);
        }
        http.Response.Headers["WebHook-Allowed-Origin"] = origin;
        http.Response.Headers["WebHook-Allowed-Rate"] = "*";
        metrics.EventGrid(EventGridOutcome.Handshake);
        return Results.Ok();
    }

    private static async Task<Results<Ok<SubscriptionValidationResponse>, Ok<EventGridAccepted>, ProblemHttpResult>> ReceiveAsync(
        HttpContext http, IOptionsMonitor<RetentionOptions> options, InboundSmsHandler inbound, DeliveryReportHandler reports, IngestMetrics metrics, TimeProvider time,
        CancellationToken cancellationToken)
    {
        if (!KeyMatches(http, options.CurrentValue))
        {
            return Unauthorized(metrics);
        }
        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer, cancellationToken);
        var root = StrictJson.Parse(buffer.ToArray(), out var malformed, maxDepth: 32);
        if (malformed is not null)
        {
            return Rejected(metrics, [malformed]);
        }
        var batch = root is JsonArray;
        var nodes = root switch
        {
            JsonArray array => array.ToList(),
            JsonObject single => [single],
            _ => [],
        };
        var errors = new List<DefinitionError>();
        var events = new List<(string Type, object? Data)>();
        for (var i = 0; i < nodes.Count; i++)
        {
            if (Parse(nodes[i], batch ? $"/{i}" : "", errors) is { } parsed)
            {
                events.Add(parsed);
            }
        }
        if (errors.Count > 0)
        {
            return Rejected(metrics, errors, "The Event Grid events are not valid; none were handled");
        }
        if (http.Request.Headers["aeg-event-type"] == "SubscriptionValidation")
        {
            var code = events.Where(e => e.Type == SystemEventNames.EventGridSubscriptionValidation)
                .Select(e => (e.Data as SubscriptionValidationEventData)?.ValidationCode).FirstOrDefault(c => c is not null);
            if (code is null)
            {
                return Rejected(metrics, [new DefinitionError(batch ? "/0/data/validationCode" : "/data/validationCode", "is required for the subscription handshake")]);
            }
            metrics.EventGrid(EventGridOutcome.Handshake);
            return TypedResults.Ok(new SubscriptionValidationResponse { ValidationResponse = code });
        }
        int handled = 0, ignored = 0;
        foreach (var (_, data) in events)
        {
            var done = data switch
            {
                AcsSmsReceivedEventData sms => await InboundAsync(sms, inbound, time, cancellationToken),
                AcsSmsDeliveryReportReceivedEventData report =>
                    await ReportAsync(report.MessageId, report.DeliveryStatus == "Delivered", report.DeliveryStatusDetails, reports, cancellationToken),
                AcsEmailDeliveryReportReceivedEventData report =>
                    await ReportAsync(report.MessageId, report.Status == AcsEmailDeliveryReportStatus.Delivered, EmailDetail(report), reports, cancellationToken),
                _ => false,
            };
            if (done)
            {
                handled++;
            }
            else
            {
                ignored++;
            }
        }
        metrics.EventGrid(EventGridOutcome.Handled, handled);
        metrics.EventGrid(EventGridOutcome.Ignored, ignored);
        return TypedResults.Ok(new EventGridAccepted(handled, ignored));
    }

    private static ProblemHttpResult Unauthorized(IngestMetrics metrics)
    {
        metrics.EventGrid(EventGridOutcome.Unauthorized);
        return Problems.Of(StatusCodes.Status401Unauthorized, "Unauthorized", "The Event Grid key is missing or wrong.");
    }

    private static ProblemHttpResult Rejected(IngestMetrics metrics, IReadOnlyList<DefinitionError> errors, string? title = null)
    {
        metrics.EventGrid(EventGridOutcome.Rejected);
        return title is null ? Problems.Validation(errors) : Problems.Validation(errors, title);
    }

    /// <summary>
    /// One event in either schema (a CloudEvent has <c>specversion</c>), its type and, for a system event, its typed data.
    /// ACS's documented payloads name data members in PascalCase while the SDK reads camelCase, so names are
    /// camel-cased first. An envelope the SDK refuses is an error naming the field.
    /// </summary>
    private static (string Type, object? Data)? Parse(JsonNode? node, string path, List<DefinitionError> errors)
    {
        if (node is not JsonObject envelope)
        {
            errors.Add(new DefinitionError(path, "an event must be a JSON object"));
            return null;
        }
        if (envelope["data"] is JsonObject data)
        {
            envelope["data"] = CamelCased(data);
        }
        var json = BinaryData.FromString(envelope.ToJsonString());
        try
        {
            if (envelope.ContainsKey("specversion"))
            {
                var cloudEvent = CloudEvent.Parse(json)!;
                return (cloudEvent.Type, cloudEvent.TryGetSystemEventData(out var systemData) ? systemData : null);
            }
            var gridEvent = EventGridEvent.Parse(json);
            return (gridEvent.EventType, gridEvent.TryGetSystemEventData(out var eventData) ? eventData : null);
        }
        catch (ArgumentNullException missing) when (missing.ParamName is { Length: > 0 } field)
        {
            errors.Add(new DefinitionError($"{path}/{JsonNamingPolicy.CamelCase.ConvertName(field)}", "is required in an Event Grid event"));
        }
        catch (Exception refused) when (refused is ArgumentException or InvalidOperationException or FormatException or JsonException)
        {
            errors.Add(new DefinitionError(path, $"is not an Event Grid event or CloudEvent: {refused.Message}"));
        }
        return null;
    }

    private static JsonNode? CamelCased(JsonNode? node) => node switch
    {
        JsonObject obj => new JsonObject(obj.Select(kv => KeyValuePair.Create(JsonNamingPolicy.CamelCase.ConvertName(kv.Key), CamelCased(kv.Value)))
            .DistinctBy(kv => kv.Key, StringComparer.Ordinal)),
        JsonArray array => new JsonArray([.. array.Select(CamelCased)]),
        _ => node?.DeepClone(),
    };

    private static async Task<bool> InboundAsync(AcsSmsReceivedEventData sms, InboundSmsHandler inbound, TimeProvider time, CancellationToken cancellationToken)
    {
        if (sms.MessageId is not { } id || sms.From is not { } from || sms.Message is not { } message)
        {
            return false;
        }
        var outcome = await inbound.HandleAsync(id, from, sms.To, message, sms.ReceivedTimestamp ?? time.GetUtcNow(), cancellationToken);
        return outcome.CustomerIds.Count > 0;
    }

    private static async Task<bool> ReportAsync(string? messageId, bool delivered, string? detail, DeliveryReportHandler reports, CancellationToken cancellationToken) =>
        messageId is { } id && await reports.HandleAsync(id, delivered, detail, cancellationToken);

    private static string? EmailDetail(AcsEmailDeliveryReportReceivedEventData report) =>
        report.DeliveryStatusDetails?.StatusMessage is { Length: > 0 } message ? $"{report.Status}: {message}" : report.Status?.ToString();

    private static bool KeyMatches(HttpContext http, RetentionOptions options)
    {
        var expected = options.EventGrid.Key;
        var presented = http.Request.Query["key"].ToString();
        return expected.Length > 0 && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(expected));
    }
}
