using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Retention.Functions.Durable;

namespace Retention.Functions.Http;

/// <summary>
/// Every HTTP request (host.json sets an empty route prefix): webhooks, the admin API and workspace, health, metrics and
/// the OpenAPI document, answered by <see cref="RetentionHttpPipeline"/>. Anonymous at the Functions level: the app's own
/// authentication (admin keys or tokens, webhook signatures over the raw body, the Event Grid key) applies, as in the
/// standalone host. The Durable client it binds is the engine for starts and events.
/// </summary>
public sealed class HttpFunction(RetentionHttpPipeline pipeline, DurableClientScope scope)
{
    public const string Name = "Http";

    [Function(Name)]
    public Task<IActionResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "head", "post", "put", "patch", "delete", "options", Route = "{*path}")] HttpRequest request,
        [DurableClient] DurableTaskClient client)
    {
        ArgumentNullException.ThrowIfNull(request);
        return scope.Use(client, async () =>
        {
            await pipeline.InvokeAsync(request.HttpContext);
            return (IActionResult)new EmptyResult(); // the pipeline wrote the response
        });
    }
}
