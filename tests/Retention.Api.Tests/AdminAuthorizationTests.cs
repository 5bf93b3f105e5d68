using System.Net;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Retention.Api.Security;
using Retention.Testing;

namespace Retention.Api.Tests;

/// <summary>Every admin endpoint refuses a key that holds only roles the endpoint does not accept.</summary>
public sealed class AdminEndpointAuthorization : IDisposable
{
    private static readonly string[][] EveryRoleSet =
        [.. Enumerable.Range(0, 1 << Roles.All.Length).Select(mask => Roles.All.Where((_, bit) => (mask & (1 << bit)) != 0).ToArray())];

    private readonly RetentionFactory _host = new(virtualTime: true, [], KeysForEveryRoleSet());

    public void Dispose() => _host.Dispose();

    private static string KeyFor(IEnumerable<string> roles) => "roles-key-" + string.Join('+', roles.Order(StringComparer.Ordinal));

    private static Dictionary<string, string?> KeysForEveryRoleSet()
    {
        var settings = new Dictionary<string, string?>();
        for (var i = 0; i < EveryRoleSet.Length; i++)
        {
            var n = i + 1; // 0 is the local admin key of appsettings.Development.json
            settings[$"Retention:Admin:Keys:{n}:Name"] = $"roles {string.Join(' ', EveryRoleSet[i])}";
            settings[$"Retention:Admin:Keys:{n}:Key"] = KeyFor(EveryRoleSet[i]);
            for (var r = 0; r < EveryRoleSet[i].Length; r++)
            {
                settings[$"Retention:Admin:Keys:{n}:Roles:{r}"] = EveryRoleSet[i][r];
            }
        }
        return settings;
    }

    [Fact]
    public async Task EveryAdminEndpointForbidsAKeyWithoutItsRole()
    {
        var policies = _host.Services.GetRequiredService<IAuthorizationPolicyProvider>();
        var endpoints = AdminEndpoints.Of(_host.Services);
        var client = _host.CreateClient();
        var checkedEndpoints = new List<string>();
        foreach (var endpoint in endpoints)
        {
            var method = endpoint.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods[0];
            var route = endpoint.RoutePattern.RawText!;
            var accepted = new HashSet<string>(StringComparer.Ordinal);
            var policyNames = endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).ToList();
            Assert.True(policyNames.Count > 0 && policyNames.All(p => p is not null), $"{method} {route} names no authorization policy");
            foreach (var name in policyNames)
            {
                var policy = await policies.GetPolicyAsync(name!);
                var roles = policy!.Requirements.OfType<RolesAuthorizationRequirement>().SingleOrDefault();
                Assert.True(roles is not null, $"{method} {route}: policy {name} requires no role");
                accepted.UnionWith(roles!.AllowedRoles);
            }
            var withoutThem = Roles.All.Where(r => !accepted.Contains(r));
            var path = AdminEndpoints.SamplePath(endpoint);
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            request.Headers.Add(ApiKeyAuthenticationHandler.Header, KeyFor(withoutThem));
            var response = await client.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden,
                $"{method} {route} (accepts {string.Join(", ", accepted)}) answered {response.StatusCode} to a key holding only [{string.Join(", ", withoutThem)}]");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            checkedEndpoints.Add($"{method} {route}");
        }
        Assert.Contains("POST /api/journeys/{id}/pause", checkedEndpoints);
        Assert.Contains("POST /api/journeys/{id}/publish", checkedEndpoints);
        Assert.Contains("PUT /api/journeys/{id}/draft", checkedEndpoints);
        Assert.Contains("POST /api/journeys/{id}/simulate", checkedEndpoints);
        Assert.Contains("GET /api/journeys/{id}/versions/{version:int}", checkedEndpoints);
    }
}
