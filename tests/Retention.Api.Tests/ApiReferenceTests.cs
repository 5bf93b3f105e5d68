using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Retention.Testing;

namespace Retention.Api.Tests;

/// <summary>The API reference page for humans, and the OpenAPI document it renders, which must list every endpoint.</summary>
public sealed partial class ApiReference : IDisposable
{
    private readonly RetentionFactory _host = new(virtualTime: true, []);

    public void Dispose() => _host.Dispose();

    [GeneratedRegex("""(?:src|href)\s*=\s*["']([^"']+)["']""", RegexOptions.IgnoreCase)]
    private static partial Regex AssetReference();

    [GeneratedRegex("""(?:https?:)?//[a-z0-9.-]+""", RegexOptions.IgnoreCase)]
    private static partial Regex AbsoluteUrl();

    /// <summary>An absolute URL in a string literal: what a script could fetch (a comment crediting a source is not).</summary>
    [GeneratedRegex("""["'`](?:https?:)?//[a-z0-9.-]+""", RegexOptions.IgnoreCase)]
    private static partial Regex QuotedAbsoluteUrl();

    [Fact]
    public async Task IsServedWithOnlyItsOwnAssets()
    {
        var client = _host.CreateClient();
        var page = await client.GetAsync("/api/reference");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var html = await page.Content.ReadAsStringAsync();
        var pageUri = page.RequestMessage!.RequestUri!;
        var assets = AssetReference().Matches(html).Select(m => m.Groups[1].Value).ToList();
        Assert.Contains(assets, a => a.EndsWith(".js", StringComparison.Ordinal));
        Assert.DoesNotMatch(AbsoluteUrl(), html);
        foreach (var asset in assets)
        {
            var uri = new Uri(pageUri, asset);
            Assert.True(uri.Authority == pageUri.Authority, $"{asset} is not served by the host");
            var response = await client.GetAsync(uri);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{asset}: {response.StatusCode}");
        }
        // The page's own script points at our document and at nothing outside (no validator badge, no CDN).
        var script = await client.GetStringAsync(new Uri(pageUri, "index.js"));
        Assert.Contains("/openapi/v1.json", script, StringComparison.Ordinal);
        Assert.DoesNotMatch(QuotedAbsoluteUrl(), script);
    }

    [Fact]
    public async Task TheOpenApiDocumentCoversEveryEndpointAndDeclaresTheAdminKeyPerOperation()
    {
        var document = JsonNode.Parse(await _host.CreateClient().GetStringAsync("/openapi/v1.json"))!;
        var paths = document["paths"]!.AsObject();
        var missing = new List<string>();
        var endpoints = _host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText != "/openapi/{documentName}.json")
            .ToList();
        Assert.True(endpoints.Count > 25, $"only {endpoints.Count} endpoints found");
        foreach (var endpoint in endpoints)
        {
            var route = endpoint.RoutePattern.RawText!;
            // A group's "" route is "/api/instances/" here and "/api/instances" there; OpenAPI drops route constraints.
            var path = System.Text.RegularExpressions.Regex.Replace("/" + route.Trim('/'), @"\{(\w+):[^}]+\}", "{$1}");
            foreach (var method in endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]) // /metrics answers any method; GET is what scrapers send
            {
                if (paths[path]?[method.ToLowerInvariant()] is null)
                {
                    missing.Add($"{method} {path}");
                }
            }
        }
        Assert.True(missing.Count == 0, "not in /openapi/v1.json: " + string.Join(", ", missing));
        Assert.Equal("X-Api-Key", document["components"]!["securitySchemes"]!["ApiKey"]!["name"]!.GetValue<string>());
        // Each operation declares its own credential (ApiContract checks which); the anonymous list's healthz declares none.
        Assert.Empty(paths["/healthz"]!["get"]!["security"]!.AsArray());
        Assert.Equal("ApiKey", Assert.Single(paths["/api/journeys"]!["get"]!["security"]!.AsArray()[0]!.AsObject()).Key);
    }
}
