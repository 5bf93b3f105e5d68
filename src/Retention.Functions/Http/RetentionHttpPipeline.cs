using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Retention.Api.Composition;

namespace Retention.Functions.Http;

/// <summary>
/// The standalone host's own HTTP pipeline (<see cref="RetentionComposition.UseRetention"/>: problem details,
/// authentication, the input guard, the audit, every endpoint), built once over the worker's services. The catch-all
/// HTTP function hands each request's <see cref="HttpContext"/> to it, so both hosts answer with the same code.
/// </summary>
public sealed class RetentionHttpPipeline
{
    private readonly RequestDelegate _pipeline;

    public RetentionHttpPipeline(IServiceProvider services)
    {
        var app = new ApplicationBuilder(services);
        app.UseRetention();
        _pipeline = app.Build();
    }

    public Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.SetEndpoint(null); // our routing picks the endpoint, whatever the worker's own pipeline set
        return _pipeline(context);
    }
}
