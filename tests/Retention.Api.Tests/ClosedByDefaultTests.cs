using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Retention.Api.Admin;
using Retention.Api.Security;
using Retention.Core.Ports;
using Retention.Storage.Messages;
using Retention.Testing;

namespace Retention.Api.Tests;

/// <summary>Settings of a deployment that may start in Production: real keys and secrets, and no channel on the dev outbox.</summary>
internal static class ProductionSettings
{
    public const string AdminKey = "a-long-production-admin-key-0123";

    public static Dictionary<string, string?> With(params (string Key, string? Value)[] overrides)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Retention:Admin:Keys:0:Name"] = "ops",
            ["Retention:Admin:Keys:0:Key"] = AdminKey,
            ["Retention:Admin:Keys:0:Roles:0"] = "viewer",
            ["Retention:Webhooks:Sources:core:Secrets:0"] = "a-long-production-webhook-secret",
            ["Retention:EventGrid:Key"] = "a-long-production-eventgrid-key",
            ["Retention:Channels:Sms:Provider"] = "acs",
            ["Retention:Channels:Sms:Acs:ConnectionString"] = "endpoint=https://contoso.communication.azure.com/;accesskey=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
            ["Retention:Channels:Sms:Acs:From"] = "+18005550100",
            ["Retention:Channels:Email:Provider"] = "none",
        };
        foreach (var (key, value) in overrides)
        {
            settings[key] = value;
        }
        return settings;
    }

    /// <summary>The exception the host refuses to start with, in <paramref name="environment"/>.</summary>
    public static async Task<Exception> RefusalAsync(Dictionary<string, string?> settings, string environment) =>
        Assert.IsAssignableFrom<Exception>(await RetentionFactory.StartFailureAsync(settings, environment));
}

/// <summary>In Production every endpoint needs an admin role unless it is on the one anonymous list (issue 20 §1).</summary>
public sealed class ClosedByDefaultInProduction : IDisposable
{
    private readonly RetentionFactory _host = new(virtualTime: true, [], ProductionSettings.With());
    private readonly Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> _production;

    public ClosedByDefaultInProduction() => _production = _host.WithWebHostBuilder(b => b.UseEnvironment("Production"));

    public void Dispose()
    {
        _production.Dispose();
        _host.Dispose();
    }

    private IReadOnlyList<RouteEndpoint> Endpoints()
    {
        using var client = _production.CreateClient(); // starts the host, so its endpoints are built
        return _production.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();
    }

    /// <summary>A path that reaches the route: each parameter filled with a value its constraint accepts.</summary>
    private static string SamplePath(RouteEndpoint endpoint) =>
        "/" + string.Join('/', endpoint.RoutePattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
        {
            Microsoft.AspNetCore.Routing.Patterns.RoutePatternLiteralPart literal => literal.Content,
            Microsoft.AspNetCore.Routing.Patterns.RoutePatternSeparatorPart separator => separator.Content,
            Microsoft.AspNetCore.Routing.Patterns.RoutePatternParameterPart { Name: "documentName" } => "v1",
            Microsoft.AspNetCore.Routing.Patterns.RoutePatternParameterPart parameter => parameter.ParameterPolicies.Any(p => p.Content == "int") ? "1" : "x",
            _ => "",
        }))));

    [Fact]
    public async Task EveryMappedEndpointAnswers401WithoutCredentialsUnlessItIsOnTheAnonymousList()
    {
        var endpoints = Endpoints();
        Assert.True(endpoints.Count >= 40, $"found only {endpoints.Count} endpoints");
        using var client = _production.CreateClient();
        var open = new List<string>();
        var checkedCalls = 0;
        foreach (var endpoint in endpoints)
        {
            var methods = endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"];
            foreach (var method in methods)
            {
                var route = endpoint.RoutePattern.RawText!;
                if (AnonymousAccess.Routes.ContainsKey(route))
                {
                    open.Add($"{method} {route}");
                    continue;
                }
                using var request = new HttpRequestMessage(new HttpMethod(method), SamplePath(endpoint));
                if (method is "POST" or "PUT" or "PATCH")
                {
                    request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
                }
                using var response = await client.SendAsync(request);
                Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{method} {route} answered {(int)response.StatusCode} without credentials");
                checkedCalls++;
            }
        }
        Assert.True(checkedCalls >= 40, $"only {checkedCalls} calls checked");
        // Exactly the list, and nothing of Development's: the dev outbox is not mapped here.
        Assert.Equal(
            ["GET /healthz", "OPTIONS /api/events/eventgrid", "POST /api/events", "POST /api/events/eventgrid"],
            open.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task TheAnonymousEndpointsStillCheckTheirOwnCredential()
    {
        using var client = _production.CreateClient();
        var unsigned = await client.PostAsync(new Uri("/api/events", UriKind.Relative), new StringContent("{}", Encoding.UTF8, "application/cloudevents+json"));
        Assert.Equal(HttpStatusCode.Unauthorized, unsigned.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsync(new Uri("/api/events/eventgrid?key=wrong", UriKind.Relative), new StringContent("[]"))).StatusCode);
        Assert.NotEqual(HttpStatusCode.Unauthorized, (await client.GetAsync(new Uri("/healthz", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task TheWorkspaceShellIsServedButNotTheReferenceOrAnUnknownPath()
    {
        using var client = _production.CreateClient();
        var shell = await client.GetAsync(new Uri("/workspace/", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, shell.StatusCode);
        Assert.Equal("text/html", shell.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync(new Uri("/api/reference/index.html", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync(new Uri("/no/such/thing", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task TheDevEndpointsAreNotMapped()
    {
        Assert.DoesNotContain(Endpoints(), e => e.RoutePattern.RawText!.StartsWith("/api/dev", StringComparison.Ordinal));
        using var client = _production.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", ProductionSettings.AdminKey);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(new Uri("/api/dev/outbox", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsJsonAsync("/api/dev/inbound-sms", new { from = "+8613800138000", message = "STOP" })).StatusCode);
    }

    [Fact]
    public async Task MetricsAndOpenApiNeedARole()
    {
        using var client = _production.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync(new Uri("/metrics", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync(new Uri("/openapi/v1.json", UriKind.Relative))).StatusCode);
        client.DefaultRequestHeaders.Add("X-Api-Key", ProductionSettings.AdminKey);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("/metrics", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("/openapi/v1.json", UriKind.Relative))).StatusCode);
    }
}

/// <summary><c>Retention:Anonymous</c>: /metrics and the OpenAPI document answer without a key in Development, or where the setting says.</summary>
public sealed class AnonymousOperationalEndpoints
{
    private static async Task<(HttpStatusCode Metrics, HttpStatusCode OpenApi, HttpStatusCode Reference)> AnonymousAsync(string environment, params (string, string?)[] settings)
    {
        using var host = new RetentionFactory(virtualTime: true, [], ProductionSettings.With(settings));
        using var started = host.WithWebHostBuilder(b => b.UseEnvironment(environment));
        using var client = started.CreateClient();
        return ((await client.GetAsync(new Uri("/metrics", UriKind.Relative))).StatusCode,
            (await client.GetAsync(new Uri("/openapi/v1.json", UriKind.Relative))).StatusCode,
            (await client.GetAsync(new Uri("/api/reference/index.html", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task AreAnonymousInDevelopment() =>
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK), await AnonymousAsync("Development"));

    [Fact]
    public async Task AreAnonymousInProductionOnlyBySetting()
    {
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized),
            await AnonymousAsync("Production", ("Retention:Anonymous:Metrics", "Always")));
        Assert.Equal((HttpStatusCode.Unauthorized, HttpStatusCode.OK, HttpStatusCode.OK),
            await AnonymousAsync("Production", ("Retention:Anonymous:OpenApi", "Always")));
    }

    [Fact]
    public async Task CanBeClosedInDevelopmentToo() =>
        Assert.Equal((HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized),
            await AnonymousAsync("Development", ("Retention:Anonymous:Metrics", "Never"), ("Retention:Anonymous:OpenApi", "Never")));

    [Fact]
    public async Task AValueOutsideTheChoicesStopsTheHostNamingTheSetting()
    {
        var refusal = await ProductionSettings.RefusalAsync(ProductionSettings.With(("Retention:Anonymous:Metrics", "7")), "Development");
        Assert.Contains("Retention:Anonymous:Metrics is '7'; it must be Development, Always or Never", refusal.Message, StringComparison.Ordinal);
    }
}

/// <summary>Outside Development the host refuses to start on a dev channel, naming the setting.</summary>
public sealed class StartupOnTheDevChannel
{
    [Fact]
    public async Task RefusesTheDevChannelOutsideDevelopmentNamingEachSetting()
    {
        var refusal = await ProductionSettings.RefusalAsync(ProductionSettings.With(("Retention:Channels:Sms:Provider", null), ("Retention:Channels:Email:Provider", "dev")), "Production");
        var message = Assert.IsType<Microsoft.Extensions.Options.OptionsValidationException>(refusal).Message;
        Assert.Contains("Refusing to start in Production", message, StringComparison.Ordinal);
        Assert.Contains("Retention:Channels:Sms:Provider is dev", message, StringComparison.Ordinal);
        Assert.Contains("Retention:Channels:Email:Provider is dev", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RefusesItInStagingToo()
    {
        var refusal = await ProductionSettings.RefusalAsync(ProductionSettings.With(("Retention:Channels:Email:Provider", "dev")), "Staging");
        var message = Assert.IsType<Microsoft.Extensions.Options.OptionsValidationException>(refusal).Message;
        Assert.Contains("Retention:Channels:Email:Provider is dev", message, StringComparison.Ordinal);
        Assert.DoesNotContain("Sms:Provider", message, StringComparison.Ordinal);
    }
}

/// <summary>A 403 is an attributable attempt: the audit log records it, reads included.</summary>
public sealed class ForbiddenCallsAudited : IDisposable
{
    private readonly RetentionFactory _host = new(virtualTime: true, [], new()
    {
        ["Retention:Admin:Keys:1:Name"] = "read-only desk",
        ["Retention:Admin:Keys:1:Key"] = "a-viewer-key-of-the-desk-0123",
        ["Retention:Admin:Keys:1:Roles:0"] = "viewer",
        ["Retention:Admin:Keys:2:Name"] = "no roles",
        ["Retention:Admin:Keys:2:Key"] = "a-key-without-any-role-0123",
    });

    public void Dispose() => _host.Dispose();

    private HttpClient Client(string key)
    {
        var client = _host.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        return client;
    }

    [Fact]
    public async Task RecordsWhoWasRefusedWhatWithTheStatus()
    {
        using var viewer = Client("a-viewer-key-of-the-desk-0123");
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsync(new Uri("/api/journeys/post-sale/pause", UriKind.Relative), null)).StatusCode);
        using var nobody = Client("a-key-without-any-role-0123");
        Assert.Equal(HttpStatusCode.Forbidden, (await nobody.GetAsync(new Uri("/api/instances?customerId=C1", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await nobody.GetAsync(new Uri("/no/such/thing", UriKind.Relative))).StatusCode);
        using var anonymous = _host.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync(new Uri("/api/journeys/post-sale/pause", UriKind.Relative), null)).StatusCode);

        var audit = (await _host.Admin().GetFromJsonAsync<AuditPage>("/api/audit"))!.Items;
        var refused = audit.Where(e => e.Status == 403).Select(e => (e.Actor, e.Method, e.Route, e.Path, e.TargetId)).ToList();
        Assert.Equal(3, refused.Count);
        Assert.Contains(("read-only desk", "POST", "/api/journeys/{id}/pause", "/api/journeys/post-sale/pause", "post-sale"), refused);
        Assert.Contains(("no roles", "GET", "/api/instances/", "/api/instances", (string?)null), refused); // the group's route
        Assert.Contains(("no roles", "GET", "/no/such/thing", "/no/such/thing", (string?)null), refused);
        Assert.DoesNotContain(audit, e => e.Status == 401);
    }
}

/// <summary>A deployment without SMS says so (<c>Provider: none</c>): its sends are suppressed, the reason recorded.</summary>
public sealed class ChannelConfiguredAsNone
{
    private const string Thanks = """
        { "id": "thanks", "trigger": { "type": "event", "event": "sale.completed" }, "start": "sms", "steps": [
            { "id": "sms", "type": "send", "channel": "sms", "template": "thanks", "category": "service", "next": "fallback" },
            { "id": "fallback", "type": "send", "channel": "sms", "template": "thanks", "category": "service", "fallback": "email" } ],
          "templates": { "thanks": { "sms": { "en": "Thank you" }, "email": { "en": { "subject": "Thank you", "text": "Thank you" } } } } }
        """;

    [Fact]
    public async Task SuppressesEachSendWithTheSettingAsReasonAndFallsBackToAChannelThatHasAProvider()
    {
        using var host = new RetentionFactory(virtualTime: true, [Thanks], new() { ["Retention:Channels:Sms:Provider"] = "none" });
        var customer = Webhooks.Customer("N1");
        customer["data"]!["email"] = "n1@example.com";
        Assert.Equal(HttpStatusCode.Accepted, (await host.CreateClient().PostAsync(customer, host.Now)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await host.CreateClient().PostAsync(Webhooks.Sale("N1", "S1"), host.Now)).StatusCode);
        await host.RunUntilIdleAsync();

        const string Reason = "no SMS provider: Retention:Channels:Sms:Provider is none";
        var messages = (await host.Get<MessageLog>().ForCustomerAsync("N1", CancellationToken.None)).ToList();
        Assert.Equal(
            [("fallback", "sms", MessageStatus.Suppressed, (string?)Reason), ("fallback", "email", MessageStatus.Sent, null), ("sms", "sms", MessageStatus.Suppressed, Reason)],
            messages.Select(m => (m.StepId, m.Channel, m.Status, m.Reason)).OrderBy(m => m.StepId, StringComparer.Ordinal).ThenByDescending(m => m.Channel, StringComparer.Ordinal));
        var outbox = (await host.Admin().GetFromJsonAsync<JsonArray>("/api/dev/outbox?customerId=N1"))!;
        Assert.Equal("email", Assert.Single(outbox)!["channel"]!.GetValue<string>());
        var timeline = (await host.Admin().GetFromJsonAsync<JsonArray>("/api/customers/N1/timeline"))!;
        Assert.Equal(2, timeline.Count(i => i!["kind"]!.GetValue<string>() == "message:sms" && i["summary"]!.GetValue<string>() == $"{MessageStatus.Suppressed}: {Reason}"));
    }
}
