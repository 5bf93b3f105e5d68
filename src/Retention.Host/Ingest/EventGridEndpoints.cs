using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Retention.Core.Definitions;
using Retention.Host.Composition;
using Retention.Storage.Inbound;

namespace Retention.Host.Ingest;

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
        app.MapMethods(Route, ["OPTIONS"], CloudEventsHandshake).AllowAnonymous().WithTags("Ingest").WithSummary("CloudEvents webhook validation handshake");
        app.MapPost(Route, ReceiveAsync).AllowAnonymous().WithTags("Ingest").WithSummary("ACS events from Event Grid: inbound SMS and delivery reports");
        return app;
    }

    private static IResult CloudEventsHandshake(HttpContext http, IOptionsMonitor<RetentionOptions> options)
    {
        if (!KeyMatches(http, options.CurrentValue))
        {
            return Problems.Of(StatusCodes.Status401Unauthorized, "Unauthorized", "The Event Grid key is missing or wrong.");
        }
        var origin = http.Request.Headers["WebHook-Request-Origin"].ToString();
        if (origin.Length == 0)
        {
            return Problems.Validation([new DefinitionError("/headers/WebHook-Request-Origin", "is required for the CloudEvents handshake")]);
        }
        http.Response.Headers["WebHook-Allowed-Origin"] = origin;
        http.Response.Headers["WebHook-Allowed-Rate"] = "*";
        return Results.Ok();
    }

    private static async Task<Results<Ok<JsonObject>, Ok<EventGridAccepted>, ProblemHttpResult>> ReceiveAsync(
        HttpContext http, IOptionsMonitor<RetentionOptions> options, InboundSmsHandler inbound, DeliveryReportHandler reports, TimeProvider time, CancellationToken cancellationToken)
    {
        if (!KeyMatches(http, options.CurrentValue))
        {
            return Problems.Of(StatusCodes.Status401Unauthorized, "Unauthorized", "The Event Grid key is missing or wrong.");
        }
        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer, cancellationToken);
        var root = StrictJson.Parse(buffer.ToArray(), out var malformed, maxDepth: 32);
        if (malformed is not null)
        {
            return Problems.Validation([malformed]);
        }
        var events = root switch
        {
            JsonArray array => array.OfType<JsonObject>().ToList(),
            JsonObject single => [single],
            _ => [],
        };
        if (http.Request.Headers["aeg-event-type"] == "SubscriptionValidation")
        {
            var code = events.Select(e => Field(e, "data")?["validationCode"]?.GetValue<string>()).FirstOrDefault(c => c is not null);
            return code is null
                ? Problems.Validation([new DefinitionError("/0/data/validationCode", "is required for the subscription handshake")])
                : TypedResults.Ok(new JsonObject { ["validationResponse"] = code });
        }
        int handled = 0, ignored = 0;
        foreach (var e in events)
        {
            // Event Grid schema says eventType, CloudEvents says type; ACS payloads mix PascalCase and camelCase.
            var type = (Field(e, "eventType") ?? Field(e, "type"))?.GetValue<string>();
            var data = Field(e, "data") as JsonObject ?? [];
            var done = type switch
            {
                "Microsoft.Communication.SMSReceived" => await InboundAsync(data, inbound, time, cancellationToken),
                "Microsoft.Communication.SMSDeliveryReportReceived" =>
                    await ReportAsync(data, Text(data, "deliveryStatus") == "Delivered", Text(data, "deliveryStatusDetails"), reports, cancellationToken),
                "Microsoft.Communication.EmailDeliveryReportReceived" =>
                    await ReportAsync(data, Text(data, "status") == "Delivered", Text(data, "status"), reports, cancellationToken),
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
        return TypedResults.Ok(new EventGridAccepted(handled, ignored));
    }

    private static async Task<bool> InboundAsync(JsonObject data, InboundSmsHandler inbound, TimeProvider time, CancellationToken cancellationToken)
    {
        if (Text(data, "messageId") is not { } id || Text(data, "from") is not { } from || Text(data, "message") is not { } message)
        {
            return false;
        }
        var received = DateTimeOffset.TryParse(Text(data, "receivedTimestamp"), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at) ? at : time.GetUtcNow();
        var (result, _) = await inbound.HandleAsync(id, from, Text(data, "to"), message, received, cancellationToken);
        return result != InboundSmsResult.UnknownSender;
    }

    private static async Task<bool> ReportAsync(JsonObject data, bool delivered, string? detail, DeliveryReportHandler reports, CancellationToken cancellationToken) =>
        Text(data, "messageId") is { } id && await reports.HandleAsync(id, delivered, detail, cancellationToken);

    private static JsonNode? Field(JsonObject obj, string name) =>
        obj.FirstOrDefault(kv => string.Equals(kv.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    private static string? Text(JsonObject obj, string name) => Field(obj, name) is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static bool KeyMatches(HttpContext http, RetentionOptions options)
    {
        var expected = options.EventGrid.Key;
        var presented = http.Request.Query["key"].ToString();
        return expected.Length > 0 && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(expected));
    }
}
