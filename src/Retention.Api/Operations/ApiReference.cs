namespace Retention.Api.Operations;

/// <summary>
/// The interactive API reference for humans at <c>/api/reference</c>: Swagger UI, its assets served from the host's
/// own assembly (no external requests), rendering <c>/openapi/v1.json</c> (<see cref="ApiDocument"/>), where the admin
/// key can be entered to try requests.
/// </summary>
public static class ApiReference
{
    public const string Path = "/api/reference";

    public static IApplicationBuilder UseApiReference(this IApplicationBuilder app) => app.UseSwaggerUI(o =>
    {
        o.RoutePrefix = Path.TrimStart('/');
        o.DocumentTitle = "Retention API reference";
        o.SwaggerEndpoint("/openapi/v1.json", "Retention API v1");
        o.ConfigObject.ValidatorUrl = "none"; // Swagger UI would otherwise fetch a badge from swagger.io
        o.EnableTryItOutByDefault();
    });
}
