using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Retention.Testing;

/// <summary>Every admin endpoint the host maps: all of /api/ except webhooks and the dev outbox.</summary>
public static class AdminEndpoints
{
    public static IReadOnlyList<RouteEndpoint> Of(IServiceProvider services)
    {
        var endpoints = services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText!.StartsWith("/api/", StringComparison.Ordinal)
                && !e.RoutePattern.RawText.StartsWith("/api/events", StringComparison.Ordinal)
                && !e.RoutePattern.RawText.StartsWith("/api/dev", StringComparison.Ordinal))
            .ToList();
        Xunit.Assert.True(endpoints.Count >= 15, $"found only {endpoints.Count} admin endpoints");
        return endpoints;
    }

    /// <summary>A path that reaches <paramref name="endpoint"/>: each route parameter filled with a value its constraint accepts.</summary>
    public static string SamplePath(RouteEndpoint endpoint) => endpoint.RoutePattern.RawText!
        .Replace("{instanceId}", "x", StringComparison.Ordinal)
        .Replace("{id}", "x", StringComparison.Ordinal)
        .Replace("{customerId}", "x", StringComparison.Ordinal)
        .Replace("{name}", "y", StringComparison.Ordinal)
        .Replace("{version:int}", "1", StringComparison.Ordinal);
}
