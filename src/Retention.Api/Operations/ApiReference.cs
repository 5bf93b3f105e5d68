using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Retention.Api.Security;

namespace Retention.Api.Operations;

/// <summary>
/// The interactive API reference for humans at <c>/api/reference</c>: Swagger UI, its assets served from the host's
/// own assembly (no external requests), rendering <c>/openapi/v1.json</c>, where the admin key can be entered to try
/// requests.
/// </summary>
public static class ApiReference
{
    public const string Path = "/api/reference";
    public const string ApiKeyScheme = "ApiKey";

    /// <summary>
    /// The OpenAPI document declares the admin key, so the reference page offers to send it, as every operation's
    /// requirement except those on <see cref="AnonymousAccess"/>'s list, which declare none (they carry their own credential).
    /// </summary>
    public static void ConfigureDocument(OpenApiOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.AddOperationTransformer((operation, context, _) =>
        {
            if (AnonymousAccess.Routes.ContainsKey("/" + context.Description.RelativePath))
            {
                operation.Security = [];
            }
            return Task.CompletedTask;
        });
        options.AddDocumentTransformer(DescribeAsync);
    }

    private static Task DescribeAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info.Title = "Retention API";
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>(StringComparer.Ordinal);
        document.Components.SecuritySchemes[ApiKeyScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = ApiKeyAuthenticationHandler.Header,
            Description = "An admin API key (Retention:Admin:Keys). Webhooks are signed instead; see X-Retention-Signature.",
        };
        // The Prometheus scrape endpoint is plain middleware, invisible to the endpoint explorer: described here.
        document.Paths["/metrics"] = new OpenApiPathItem
        {
            Operations = new Dictionary<HttpMethod, OpenApiOperation>
            {
                [HttpMethod.Get] = new OpenApiOperation
                {
                    Summary = "Prometheus metrics: events ingested and rejected, steps, timer lateness, messages, SLA warnings and breaches",
                    Responses = new OpenApiResponses
                    {
                        ["200"] = new OpenApiResponse { Description = "Prometheus text exposition format", Content = new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal) { ["text/plain"] = new OpenApiMediaType() } },
                    },
                },
            },
        };
        document.Security ??= [];
        document.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(ApiKeyScheme, document)] = [] });
        return Task.CompletedTask;
    }

    public static IApplicationBuilder UseApiReference(this IApplicationBuilder app) => app.UseSwaggerUI(o =>
    {
        o.RoutePrefix = Path.TrimStart('/');
        o.DocumentTitle = "Retention API reference";
        o.SwaggerEndpoint("/openapi/v1.json", "Retention API v1");
        o.ConfigObject.ValidatorUrl = "none"; // Swagger UI would otherwise fetch a badge from swagger.io
        o.EnableTryItOutByDefault();
    });
}
