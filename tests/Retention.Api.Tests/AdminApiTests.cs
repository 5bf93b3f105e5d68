using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Retention.Api.Security;
using Retention.Core.Runtime;
using Retention.Testing;

namespace Retention.Api.Tests;

public sealed class AdminApi : IDisposable
{
    private const string Waiting = """
        { "id": "waiting", "trigger": { "type": "event", "event": "sale.completed" }, "start": "w", "steps": [
          { "id": "w", "type": "wait", "duration": "PT1H", "next": "ask" },
          { "id": "ask", "type": "waitForEvent", "event": "survey.answered", "onEvent": "done" },
          { "id": "done", "type": "exit", "outcome": "answered" } ] }
        """;

    private readonly RetentionFactory _host = new(virtualTime: true, [Waiting], new()
    {
        ["Retention:Admin:Keys:1:Name"] = "viewer",
        ["Retention:Admin:Keys:1:Key"] = "viewer-key",
        ["Retention:Admin:Keys:1:Roles:0"] = "viewer",
    });

    public void Dispose() => _host.Dispose();

    private async Task<string> StartedInstanceAsync(string customerId)
    {
        await _host.CreateClient().PostAsync(Webhooks.Sale(customerId, "S1"), _host.Now);
        await _host.RunUntilIdleAsync();
        var list = await _host.Admin().GetFromJsonAsync<JsonObject>($"/api/instances?customerId={customerId}");
        return list!["items"]![0]!["instanceId"]!.GetValue<string>();
    }

    [Fact]
    public async Task EveryAdminEndpointRejectsAMissingKey()
    {
        var client = _host.CreateClient();
        var endpoints = AdminEndpoints.Of(_host.Services);
        foreach (var endpoint in endpoints)
        {
            var method = endpoint.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods[0];
            var path = AdminEndpoints.SamplePath(endpoint);
            var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{method} {path} answered {response.StatusCode} without a key");
        }
    }

    [Fact]
    public async Task AViewerCannotControlInstances()
    {
        var id = await StartedInstanceAsync("A1");
        var viewer = _host.CreateClient();
        viewer.DefaultRequestHeaders.Add("X-Api-Key", "viewer-key");
        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync($"/api/instances/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsync($"/api/instances/{id}/terminate", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsync("/api/journeys/waiting/pause", null)).StatusCode);
    }

    [Fact]
    public async Task ShowsThePendingTimerThenTheAwaitedEventAndTakesARaisedEvent()
    {
        var id = await StartedInstanceAsync("A2");
        var admin = _host.Admin();
        var waiting = await admin.GetFromJsonAsync<JsonObject>($"/api/instances/{id}");
        Assert.Equal(("Waiting", "w", 1), (waiting!["status"]!.GetValue<string>(), waiting["currentStep"]!.GetValue<string>(), waiting["version"]!.GetValue<int>()));
        Assert.Equal(_host.Now.AddHours(1), waiting["pendingTimer"]!["dueAt"]!.GetValue<DateTimeOffset>());

        await _host.AdvanceAsync(TimeSpan.FromHours(1));
        var atEvent = await admin.GetFromJsonAsync<JsonObject>($"/api/instances/{id}");
        Assert.Equal("survey.answered", atEvent!["waitingForEvent"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.Accepted, (await admin.PostAsJsonAsync($"/api/instances/{id}/events/survey.answered", new { score = 5 })).StatusCode);
        await _host.RunUntilIdleAsync();
        var done = await admin.GetFromJsonAsync<JsonObject>($"/api/instances/{id}");
        Assert.Equal(("Completed", "answered"), (done!["status"]!.GetValue<string>(), done["outcome"]!.GetValue<string>()));
        Assert.Contains(done["history"]!.AsArray(), h => h!["kind"]!.GetValue<string>() == HistoryKinds.EventReceived);
    }

    [Fact]
    public async Task SuspendsResumesTerminatesAndPurges()
    {
        var id = await StartedInstanceAsync("A3");
        var admin = _host.Admin();
        Assert.Equal(HttpStatusCode.Conflict, (await admin.DeleteAsync($"/api/instances/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await admin.PostAsync($"/api/instances/{id}/suspend", null)).StatusCode);
        await _host.RunUntilIdleAsync();
        Assert.Equal("Suspended", (await admin.GetFromJsonAsync<JsonObject>($"/api/instances/{id}"))!["status"]!.GetValue<string>());
        await _host.AdvanceAsync(TimeSpan.FromHours(2));
        Assert.Equal("w", (await admin.GetFromJsonAsync<JsonObject>($"/api/instances/{id}"))!["currentStep"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.Accepted, (await admin.PostAsync($"/api/instances/{id}/resume", null)).StatusCode);
        await _host.RunUntilIdleAsync();
        Assert.Equal("ask", (await admin.GetFromJsonAsync<JsonObject>($"/api/instances/{id}"))!["currentStep"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.Accepted, (await admin.PostAsync($"/api/instances/{id}/terminate", null)).StatusCode);
        await _host.RunUntilIdleAsync();
        Assert.Equal("Terminated", (await admin.GetFromJsonAsync<JsonObject>($"/api/instances/{id}"))!["status"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Conflict, (await admin.PostAsync($"/api/instances/{id}/terminate", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/instances/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync($"/api/instances/{id}")).StatusCode);
    }

    [Fact]
    public async Task ValidatesADefinitionAndNamesTheFaultyField()
    {
        var response = await _host.Admin().PostAsync("/api/journeys/validate", new StringContent("""
            { "id": "x", "trigger": { "type": "event", "event": "sale.completed" }, "start": "a",
              "steps": [ { "id": "a", "type": "wait", "duration": "soon", "next": "b" } ] }
            """));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsArray().Select(e => e!["path"]!.GetValue<string>()).ToList();
        Assert.Equal(["/steps/0/duration", "/steps/0/next"], errors);
    }

    [Fact]
    public async Task ServesHealthMetricsOpenApiAndTheSchema()
    {
        await StartedInstanceAsync("A4"); // so the runtime has recorded something
        var client = _host.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/openapi/v1.json")).StatusCode);
        Assert.Contains("retention_", await client.GetStringAsync("/metrics"), StringComparison.Ordinal);
        // The schema is an admin read like any other; /metrics and /openapi are anonymous in Development.
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/journeys/schema")).StatusCode);
        var schema = await _host.Admin().GetFromJsonAsync<JsonObject>("/api/journeys/schema");
        Assert.NotNull(schema!["$schema"]);
        var health = await client.GetAsync("/healthz"); // pollers are off under virtual time, so only storage counts
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task ListsFailedInstancesWithTheirReason()
    {
        var id = await StartedInstanceAsync("A5");
        // A migration to a definition that does not read fails the instance: it is kept, with its reason, not retried.
        await _host.Get<Retention.Journeys.IJourneyInstances>().SignalAsync(id, new Retention.Journeys.JourneySignal(Retention.Journeys.SignalKind.Migrate,
            Definition: "{}", Version: 9, Mapping: new Dictionary<string, string>()), CancellationToken.None);
        await _host.RunUntilIdleAsync();

        var failed = (await _host.Admin().GetFromJsonAsync<JsonObject>("/api/operations/failed"))!["items"]!.AsArray();
        var entry = Assert.Single(failed!, f => f!["instanceId"]!.GetValue<string>() == id);
        Assert.Contains("does not read", entry!["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("Failed", (await _host.Admin().GetFromJsonAsync<JsonObject>($"/api/instances/{Uri.EscapeDataString(id)}"))!["status"]!.GetValue<string>());
    }
}
