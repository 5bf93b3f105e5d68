using System.Globalization;
using System.Reflection;
using Microsoft.AspNetCore.Mvc.Infrastructure;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Retention.Api.Composition;
using Retention.Api.Security;

namespace Retention.Api.Operations;

/// <summary>
/// <c>/openapi/v1.json</c> as a contract a client generator and a schema validator can use: each operation's own
/// credential (the admin key, the webhook signature, the Event Grid key, or none for the anonymous list), its 401, 403
/// and 404 problems, a stable <c>operationId</c>, and schemas that say what the serializer writes.
/// </summary>
public static class ApiDocument
{
    public const string ApiKeyScheme = "ApiKey";
    public const string WebhookSignatureScheme = "WebhookSignature";
    public const string EventGridKeyScheme = "EventGridKey";

    /// <summary>The component every problem response refers to, extended with <c>errors</c> and <c>traceId</c>.</summary>
    public const string ProblemSchema = "ProblemDetails";

    /// <summary>The component of JSON held as is (a definition, a detail): any value, <c>null</c> included.</summary>
    public const string AnyJsonSchema = "JsonNode";

    private const string ObjectSchema = "JsonObject";
    private const string ProblemErrorSchema = "ProblemError";
    private const string ProblemMediaType = "application/problem+json";

    public static void Configure(OpenApiOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.AddSchemaTransformer(NumbersAreNumbers);
        options.AddOperationTransformer(DescribeOperation);
        options.AddDocumentTransformer(DescribeDocument);
    }

    /// <summary>
    /// The web serializer reads numbers from strings too, which the generator declares as <c>["integer","string"]</c>;
    /// the service writes numbers, and that is the contract.
    /// </summary>
    private static Task NumbersAreNumbers(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        if (schema.Type is { } type && (type & (JsonSchemaType.Integer | JsonSchemaType.Number)) != 0 && (type & JsonSchemaType.String) != 0)
        {
            schema.Type = type & ~JsonSchemaType.String;
            schema.Pattern = null;
        }
        return Task.CompletedTask;
    }

    private static Task DescribeOperation(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var description = context.Description;
        var path = "/" + (description.RelativePath ?? "").TrimEnd('/');
        var method = description.HttpMethod ?? "GET";
        var document = context.Document;
        operation.OperationId ??= OperationId(method, path);
        operation.Responses ??= [];
        if (AnonymousAccess.Routes.TryGetValue(path, out var anonymous))
        {
            operation.Security = anonymous.Credential switch
            {
                OwnCredential.WebhookSignature => [Requirement(WebhookSignatureScheme, document)],
                OwnCredential.EventGridKey => [Requirement(EventGridKeyScheme, document)],
                _ => [],
            };
            if (anonymous.Credential != OwnCredential.None)
            {
                AddProblem(operation, StatusCodes.Status401Unauthorized, "The credential is missing or wrong", document);
            }
        }
        else
        {
            operation.Security = [Requirement(ApiKeyScheme, document)];
            AddProblem(operation, StatusCodes.Status401Unauthorized, "No valid admin key (X-Api-Key) or token", document);
            AddProblem(operation, StatusCodes.Status403Forbidden, "The key's roles do not allow this operation", document);
            // What a path names can be missing; a PUT creates it instead.
            if (path.Contains('{', StringComparison.Ordinal) && method != "PUT")
            {
                AddProblem(operation, StatusCodes.Status404NotFound, "What the path names does not exist", document);
            }
        }
        DescribePageSize(operation, context);
        if (operation.RequestBody is null && description.ActionDescriptor.EndpointMetadata.OfType<JsonBodyMetadata>().LastOrDefault() is { } body)
        {
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = !body.IsOptional,
                Content = new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal)
                {
                    ["application/json"] = new() { Schema = new OpenApiSchemaReference(ObjectSchema, document) },
                },
            };
        }
        if (operation.RequestBody is not null || path.Contains('{', StringComparison.Ordinal) || (operation.Parameters?.Count ?? 0) > 0)
        {
            AddProblem(operation, StatusCodes.Status400BadRequest, "The request is not valid: each fault in errors, at its JSON Pointer", document);
        }
        return Task.CompletedTask;
    }

    private static void DescribePageSize(OpenApiOperation operation, OpenApiOperationTransformerContext context)
    {
        foreach (var parameter in context.Description.ParameterDescriptions)
        {
            if ((parameter.ParameterDescriptor as IParameterInfoParameterDescriptor)?.ParameterInfo.GetCustomAttribute<PageSizeAttribute>() is { } pageSize
                && operation.Parameters?.FirstOrDefault(p => p.Name == parameter.Name) is OpenApiParameter declared)
            {
                declared.Description = $"Items per page: 1 to {Paging.MaxPageSize}, {pageSize.DefaultSize} when not given.";
                declared.Schema = new OpenApiSchema
                {
                    Type = JsonSchemaType.Integer,
                    Format = "int32",
                    Minimum = "1",
                    Maximum = Paging.MaxPageSize.ToString(CultureInfo.InvariantCulture),
                    Default = System.Text.Json.Nodes.JsonValue.Create(pageSize.DefaultSize),
                };
            }
        }
    }

    /// <summary>
    /// The method and the path, which together are unique and change only with the contract: <c>GET /api/journeys/{id}</c>
    /// is <c>getJourneysById</c>.
    /// </summary>
    private static string OperationId(string method, string path)
    {
        var id = new StringBuilder(method.ToLowerInvariant());
        foreach (var segment in path.Split('/', StringSplitOptions.RemoveEmptyEntries).SkipWhile(s => s == "api"))
        {
            var parameter = segment.StartsWith('{');
            if (parameter)
            {
                id.Append("By");
            }
            foreach (var word in segment.Trim('{', '}').Split(':')[0].Split('-', '.', '_'))
            {
                if (word.Length > 0)
                {
                    id.Append(char.ToUpper(word[0], CultureInfo.InvariantCulture)).Append(word.AsSpan(1));
                }
            }
        }
        return id.ToString();
    }

    private static OpenApiSecurityRequirement Requirement(string scheme, OpenApiDocument? document) =>
        new() { [new OpenApiSecuritySchemeReference(scheme, document)] = [] };

    private static void AddProblem(OpenApiOperation operation, int status, string description, OpenApiDocument? document)
    {
        var key = status.ToString(CultureInfo.InvariantCulture);
        if (operation.Responses!.ContainsKey(key))
        {
            return;
        }
        operation.Responses[key] = new OpenApiResponse
        {
            Description = description,
            Content = new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal)
            {
                [ProblemMediaType] = new() { Schema = new OpenApiSchemaReference(ProblemSchema, document) },
            },
        };
    }

    private static Task DescribeDocument(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info.Title = "Retention API";
        document.Info.Description = "Signed CloudEvents in, journeys, instances, customers and operations for administrators. "
            + "Each operation declares its own credential: the admin key (X-Api-Key), the webhook signature (X-Retention-Signature) "
            + "or the Event Grid key (?key=); /healthz needs none. Errors are RFC 7807 problems whose errors name each fault's JSON Pointer.";
        foreach (var server in document.Servers ?? [])
        {
            server.Url = server.Url?.TrimEnd('/');
        }
        document.Components ??= new OpenApiComponents();
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal);
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>(StringComparer.Ordinal);
        document.Components.SecuritySchemes[ApiKeyScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = ApiKeyAuthenticationHandler.Header,
            Description = "An admin API key (Retention:Admin:Keys); its roles decide what it may do. A bearer token (Retention:Admin:Jwt) grants the same roles where configured.",
        };
        document.Components.SecuritySchemes[WebhookSignatureScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = Application.Ingest.WebhookSignature.Header,
            Description = "t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<raw body>\"> with the secret of the event's source; 300 s tolerance.",
        };
        document.Components.SecuritySchemes[EventGridKeyScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Query,
            Name = "key",
            Description = "The Event Grid subscription's key (Retention:EventGrid:Key), in the webhook URL.",
        };
        document.Security = null; // each operation declares its own
        DescribeMetrics(document);
        DescribeProblem(document);
        var schemas = document.Components.Schemas;
        schemas.TryAdd(AnyJsonSchema, new OpenApiSchema());
        schemas.TryAdd(ObjectSchema, new OpenApiSchema { Type = JsonSchemaType.Object });
        if (schemas[AnyJsonSchema] is OpenApiSchema any)
        {
            any.Description = "Any JSON value, null included.";
        }
        foreach (var schema in schemas.Values.OfType<OpenApiSchema>())
        {
            NullableAnyJsonIsAnyJson(schema, document, []);
        }
        return Task.CompletedTask;
    }

    /// <summary>
    /// The generator wraps a nullable reference as <c>oneOf: [{type: null}, {$ref}]</c>; when the reference is any JSON,
    /// <c>null</c> matches both and fails <c>oneOf</c>. Any JSON already includes <c>null</c>: the reference alone says it.
    /// </summary>
    private static void NullableAnyJsonIsAnyJson(OpenApiSchema schema, OpenApiDocument document, HashSet<OpenApiSchema> seen)
    {
        if (!seen.Add(schema))
        {
            return;
        }
        foreach (var name in schema.Properties?.Keys.ToList() ?? [])
        {
            if (IsNullableAnyJson(schema.Properties![name]))
            {
                schema.Properties[name] = new OpenApiSchemaReference(AnyJsonSchema, document);
            }
            else if (schema.Properties[name] is OpenApiSchema property)
            {
                NullableAnyJsonIsAnyJson(property, document, seen);
            }
        }
        if (schema.Items is { } items && IsNullableAnyJson(items))
        {
            schema.Items = new OpenApiSchemaReference(AnyJsonSchema, document);
        }
        else if (schema.Items is OpenApiSchema itemSchema)
        {
            NullableAnyJsonIsAnyJson(itemSchema, document, seen);
        }
        if (schema.AdditionalProperties is { } additional && IsNullableAnyJson(additional))
        {
            schema.AdditionalProperties = new OpenApiSchemaReference(AnyJsonSchema, document);
        }
    }

    private static bool IsNullableAnyJson(IOpenApiSchema schema) =>
        schema is OpenApiSchema { OneOf: { Count: 2 } oneOf }
        && oneOf.Any(s => s is OpenApiSchema { Type: JsonSchemaType.Null })
        && oneOf.Any(s => s is OpenApiSchemaReference { Reference.Id: AnyJsonSchema });

    /// <summary>The Prometheus scrape is plain middleware, invisible to the endpoint explorer: described here.</summary>
    private static void DescribeMetrics(OpenApiDocument document)
    {
        document.Paths[AnonymousAccess.MetricsRoute] = new OpenApiPathItem
        {
            Operations = new Dictionary<HttpMethod, OpenApiOperation>
            {
                [HttpMethod.Get] = new OpenApiOperation
                {
                    OperationId = OperationId("GET", AnonymousAccess.MetricsRoute),
                    Tags = new HashSet<OpenApiTagReference> { new("Operations", document) },
                    Summary = "Prometheus metrics: events ingested and rejected, steps, timer lateness, messages, SLA warnings and breaches",
                    Description = "Anonymous in Development, or in every environment with Retention:Anonymous:Metrics=Always; otherwise a viewer's key.",
                    // Either requirement satisfies it: none where the setting opens the endpoint, else the admin key.
                    Security = [new OpenApiSecurityRequirement(), Requirement(ApiKeyScheme, document)],
                    Responses = new OpenApiResponses
                    {
                        ["200"] = new OpenApiResponse
                        {
                            Description = "Prometheus text exposition format",
                            Content = new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal) { ["text/plain"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.String } } },
                        },
                        ["401"] = new OpenApiResponse
                        {
                            Description = "Not anonymous here, and no valid admin key",
                            Content = new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal) { [ProblemMediaType] = new() { Schema = new OpenApiSchemaReference(ProblemSchema, document) } },
                        },
                    },
                },
            },
        };
    }

    /// <summary>Every problem carries the request's <c>traceId</c>; a 400 names each fault in <c>errors</c>.</summary>
    private static void DescribeProblem(OpenApiDocument document)
    {
        var schemas = document.Components!.Schemas!;
        schemas[ProblemErrorSchema] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Required = new HashSet<string>(StringComparer.Ordinal) { "path", "message" },
            Properties = new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal)
            {
                ["path"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The JSON Pointer of the fault (\"\" for the whole body), such as /2/data/phone or /pageSize." },
                ["message"] = new OpenApiSchema { Type = JsonSchemaType.String },
            },
        };
        if (!schemas.TryGetValue(ProblemSchema, out var existing) || existing is not OpenApiSchema problem)
        {
            problem = new OpenApiSchema { Type = JsonSchemaType.Object };
            schemas[ProblemSchema] = problem;
        }
        problem.Description = "RFC 7807 problem details.";
        problem.Properties ??= new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal);
        problem.Properties["errors"] = new OpenApiSchema
        {
            Type = JsonSchemaType.Array,
            Description = "A validation problem's faults (at most 200).",
            Items = new OpenApiSchemaReference(ProblemErrorSchema, document),
        };
        problem.Properties["traceId"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The request's trace, to find it in the logs." };
    }
}
