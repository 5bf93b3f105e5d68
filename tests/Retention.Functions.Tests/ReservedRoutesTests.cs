using System.Reflection;
using Microsoft.AspNetCore.Routing;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using Retention.Api.Web;
using Retention.Functions.Http;

namespace Retention.Functions.Tests;

/// <summary>
/// The Functions host keeps paths for itself: <c>/admin</c> is its admin API, guarded from catch-all routes
/// (azure-functions-host #2590, PR #6993), and <c>/runtime/webhooks</c> its extensions' webhooks. A route of ours
/// under either would be unreachable in the serverless form, so none may be.
/// </summary>
public sealed class FunctionsAppRoutes(FunctionsApp app) : IClassFixture<FunctionsApp>
{
    private static readonly string[] Reserved = ["/admin", "/runtime/webhooks"];

    /// <summary>Every path the app answers: the shared pipeline's endpoints, the workspace's files and the functions' own HTTP routes.</summary>
    private List<string> Routes()
    {
        _ = app.Services.GetRequiredService<RetentionHttpPipeline>(); // maps the endpoints
        var endpoints = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Select(e => "/" + e.RoutePattern.RawText!.TrimStart('/'));
        var triggers = typeof(HttpFunction).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods())
            .SelectMany(m => m.GetParameters())
            .Select(p => p.GetCustomAttribute<HttpTriggerAttribute>())
            .Where(a => a is not null)
            .Select(a => "/" + (a!.Route ?? "").TrimStart('/'));
        return [.. endpoints, AdminUiEndpoints.Path, .. triggers];
    }

    [Fact]
    public void NoneStartsWithAPrefixTheFunctionsHostReserves()
    {
        var routes = Routes();

        Assert.Contains("/api/events", routes); // the walk does see the shared pipeline's endpoints
        Assert.Contains("/{*path}", routes); // and the catch-all function
        Assert.DoesNotContain(routes, r => Reserved.Any(p => r.Equals(p, StringComparison.OrdinalIgnoreCase) || r.StartsWith(p + "/", StringComparison.OrdinalIgnoreCase)));
    }
}
