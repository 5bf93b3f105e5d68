using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Retention.Application.Ingest;
using Retention.Core.Events;

namespace Retention.Api.Ingest;

/// <summary>
/// The bodies of the two webhooks in the OpenAPI document: a CloudEvent 1.0 (structured), a batch of them, one event's
/// data in binary mode, and Event Grid's envelopes. Described here rather than by <c>Accepts</c>, which would also make
/// routing refuse every other content type before the endpoint can answer with its own problem.
/// </summary>
public static class CloudEventDocument
{
    public const string CloudEventSchema = "CloudEvent";
    public const string EventGridEventSchema = "EventGridEvent";

    /// <summary>Binary mode: attributes in <c>ce-*</c> headers, the event's data as the body.</summary>
    public const string BinaryContentType = "application/json";

    public static Task DescribeWebhookBody(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operation);
        ArgumentNullException.ThrowIfNull(context);
        var document = context.Document;
        Register(document);
        var cloudEvent = new OpenApiSchemaReference(CloudEventSchema, document);
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Description = "One event (structured mode), a batch, or one event's data with its attributes in ce-* headers (binary mode). The signature covers the body as sent.",
            Content = new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal)
            {
                [WebhookIngest.SingleContentType] = new() { Schema = cloudEvent },
                [WebhookIngest.BatchContentType] = new()
                {
                    Schema = new OpenApiSchema { Type = JsonSchemaType.Array, MinItems = 1, MaxItems = CloudEventReader.MaxBatch, Items = cloudEvent },
                },
                [BinaryContentType] = new() { Schema = new OpenApiSchema { Description = "The event's data; the attributes are the ce-* headers." } },
            },
        };
        operation.Parameters ??= [];
        foreach (var (attribute, description) in new[]
        {
            ("specversion", "Binary mode: 1.0"),
            ("id", "Binary mode: the event's id (with its source, the idempotency key)"),
            ("source", "Binary mode: the producing system, whose secret signs the body"),
            ("type", "Binary mode: the event type, such as customer.upserted"),
            ("time", "Binary mode: optional, RFC 3339"),
            ("subject", "Binary mode: optional"),
        })
        {
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = "ce-" + attribute,
                In = ParameterLocation.Header,
                Description = description,
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            });
        }
        return Task.CompletedTask;
    }

    public static Task DescribeEventGridBody(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operation);
        ArgumentNullException.ThrowIfNull(context);
        var document = context.Document;
        Register(document);
        IOpenApiSchema one = new OpenApiSchema
        {
            AnyOf = [new OpenApiSchemaReference(EventGridEventSchema, document), new OpenApiSchemaReference(CloudEventSchema, document)],
        };
        IOpenApiSchema oneOrMany = new OpenApiSchema { AnyOf = [one, new OpenApiSchema { Type = JsonSchemaType.Array, Items = one }] };
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Description = "Event Grid events or CloudEvents from Azure Communication Services (SMSReceived, SMSDeliveryReportReceived, EmailDeliveryReportReceived), one or an array; with aeg-event-type: SubscriptionValidation, the validation event.",
            Content = new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal)
            {
                ["application/json"] = new() { Schema = oneOrMany },
                [WebhookIngest.SingleContentType] = new() { Schema = new OpenApiSchemaReference(CloudEventSchema, document) },
                [WebhookIngest.BatchContentType] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchemaReference(CloudEventSchema, document) } },
            },
        };
        // The same 200 answers the subscription handshake with its validation code.
        if (operation.Responses is { } responses && responses.TryGetValue("200", out var response) && response is OpenApiResponse { Content: { } answers }
            && answers.TryGetValue("application/json", out var media) && media is OpenApiMediaType { Schema: { } accepted } ok)
        {
            ok.Schema = new OpenApiSchema
            {
                AnyOf =
                [
                    accepted,
                    new OpenApiSchema
                    {
                        Type = JsonSchemaType.Object,
                        Description = "The answer to Event Grid's SubscriptionValidation handshake.",
                        Required = new HashSet<string>(StringComparer.Ordinal) { "validationResponse" },
                        Properties = new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal) { ["validationResponse"] = new OpenApiSchema { Type = JsonSchemaType.String } },
                    },
                ],
            };
        }
        operation.Parameters ??= [];
        operation.Parameters.Add(new OpenApiParameter
        {
            Name = "aeg-event-type",
            In = ParameterLocation.Header,
            Description = "SubscriptionValidation for Event Grid's handshake (answered with the validation code), Notification otherwise.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.String },
        });
        return Task.CompletedTask;
    }

    public static Task DescribeHandshake(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operation);
        operation.Parameters ??= [];
        operation.Parameters.Add(new OpenApiParameter
        {
            Name = "WebHook-Request-Origin",
            In = ParameterLocation.Header,
            Required = true,
            Description = "The sender's origin, echoed in WebHook-Allowed-Origin.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.String },
        });
        return Task.CompletedTask;
    }

    /// <summary>An optional attribute: a string, or absent (null counts as absent).</summary>
    private const JsonSchemaType Optional = JsonSchemaType.String | JsonSchemaType.Null;

    private static void Register(OpenApiDocument? document)
    {
        if (document is null)
        {
            return;
        }
        document.Components ??= new OpenApiComponents();
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal);
        document.Components.Schemas.TryAdd(CloudEventSchema, new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "A CloudEvent 1.0 in structured mode. Extension attributes are allowed.",
            Required = new HashSet<string>(StringComparer.Ordinal) { "specversion", "id", "source", "type" },
            Properties = new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal)
            {
                ["specversion"] = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [System.Text.Json.Nodes.JsonValue.Create("1.0")] },
                ["id"] = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, Description = "With source, the idempotency key: a repeat is acknowledged, not applied twice." },
                ["source"] = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, Description = "The producing system; its secret signs the request." },
                ["type"] = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, Description = "customer.upserted, transaction.posted, sale.completed, complaint.opened… or a custom type a journey waits on." },
                ["time"] = new OpenApiSchema { Type = Optional, Format = "date-time", Description = "At most 5 minutes ahead of the service's clock and 30 days behind it (configurable)." },
                ["subject"] = new OpenApiSchema { Type = Optional },
                ["datacontenttype"] = new OpenApiSchema { Type = Optional },
                ["dataschema"] = new OpenApiSchema { Type = Optional, Format = "uri" },
                ["data"] = new OpenApiSchema { Description = "The payload, as the type's table in the API contract says." },
            },
        });
        document.Components.Schemas.TryAdd(EventGridEventSchema, new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "An event in the Event Grid schema.",
            Required = new HashSet<string>(StringComparer.Ordinal) { "id", "subject", "eventType", "eventTime", "data", "dataVersion" },
            Properties = new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal)
            {
                ["id"] = new OpenApiSchema { Type = JsonSchemaType.String },
                ["topic"] = new OpenApiSchema { Type = JsonSchemaType.String },
                ["subject"] = new OpenApiSchema { Type = JsonSchemaType.String },
                ["eventType"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "Microsoft.Communication.SMSReceived, …SMSDeliveryReportReceived, …EmailDeliveryReportReceived, Microsoft.EventGrid.SubscriptionValidationEvent" },
                ["eventTime"] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "date-time" },
                ["data"] = new OpenApiSchema(),
                ["dataVersion"] = new OpenApiSchema { Type = JsonSchemaType.String },
                ["metadataVersion"] = new OpenApiSchema { Type = JsonSchemaType.String },
            },
        });
    }
}
