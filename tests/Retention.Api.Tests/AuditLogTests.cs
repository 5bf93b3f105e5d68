using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Retention.Api.Security;
using Retention.Testing;

namespace Retention.Api.Tests;

/// <summary>Admin changes land in the audit log with who, what, when and before/after; reads are not changes.</summary>
public sealed class AuditLogOfAdminChanges : IDisposable
{
    private const string Waiting = """
        { "id": "waiting", "trigger": { "type": "event", "event": "sale.completed" }, "start": "w", "steps": [
          { "id": "w", "type": "wait", "duration": "PT1H", "next": "done" },
          { "id": "done", "type": "exit", "outcome": "waited" } ] }
        """;

    private readonly RetentionFactory _host = new(virtualTime: true, [Waiting], new()
    {
        ["Retention:Admin:Keys:1:Name"] = "auditor",
        ["Retention:Admin:Keys:1:Key"] = "auditor-key",
        ["Retention:Admin:Keys:1:Roles:0"] = "viewer",
    });

    public void Dispose() => _host.Dispose();

    [Fact]
    public async Task RecordsWhoChangedWhatAndWhenNewestFirstAndPaged()
    {
        await _host.CreateClient().PostAsync(Webhooks.Sale("AU1", "S1"), _host.Now);
        await _host.RunUntilIdleAsync();
        var admin = _host.Admin();
        var list = await admin.GetFromJsonAsync<JsonObject>("/api/instances?customerId=AU1");
        var instanceId = list!["items"]![0]!["instanceId"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"/api/instances/{instanceId}")).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await admin.PostAsync($"/api/instances/{instanceId}/terminate", null)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsync("/api/journeys/validate", new StringContent("{}"))).StatusCode); // a read
        Assert.True((await admin.PostAsync("/api/journeys/waiting/pause", null)).IsSuccessStatusCode);
        var auditor = _host.CreateClient();
        auditor.DefaultRequestHeaders.Add("X-Api-Key", "auditor-key");
        Assert.Equal(HttpStatusCode.Forbidden, (await auditor.PostAsync("/api/journeys/waiting/resume", null)).StatusCode); // refused for its role: recorded too

        var page = await auditor.GetFromJsonAsync<JsonObject>("/api/audit");
        var items = page!["items"]!.AsArray();
        Assert.Equal(["POST /api/journeys/{id}/resume", "POST /api/journeys/{id}/pause", "POST /api/instances/{instanceId}/terminate"],
            items.Select(i => $"{i!["method"]!.GetValue<string>()} {i["route"]!.GetValue<string>()}").ToList());
        var refused = items[0]!;
        Assert.Equal(("auditor", 403, "waiting"), (refused["actor"]!.GetValue<string>(), refused["status"]!.GetValue<int>(), refused["targetId"]!.GetValue<string>()));
        var terminate = items[2]!;
        Assert.Equal("local admin", terminate["actor"]!.GetValue<string>());
        Assert.Equal(instanceId, terminate["targetId"]!.GetValue<string>());
        Assert.Equal(202, terminate["status"]!.GetValue<int>());
        Assert.Equal("{\"status\":\"Waiting\"}", terminate["before"]!.GetValue<string>());
        Assert.Equal("{\"status\":\"Waiting\",\"requested\":\"terminate\"}", terminate["after"]!.GetValue<string>());
        Assert.Equal("waiting", items[1]!["targetId"]!.GetValue<string>());
        Assert.True(Math.Abs((terminate["at"]!.GetValue<DateTimeOffset>() - _host.Now).TotalMinutes) < 1);

        var first = await auditor.GetFromJsonAsync<JsonObject>("/api/audit?pageSize=2");
        Assert.Equal("POST", first!["items"]![1]!["method"]!.GetValue<string>());
        Assert.Equal("/api/journeys/waiting/pause", first["items"]![1]!["path"]!.GetValue<string>());
        var token = first["continuationToken"]!.GetValue<string>();
        var second = await auditor.GetFromJsonAsync<JsonObject>($"/api/audit?pageSize=2&continuationToken={Uri.EscapeDataString(token)}");
        Assert.Equal($"/api/instances/{instanceId}/terminate", Assert.Single(second!["items"]!.AsArray())!["path"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.BadRequest, (await auditor.GetAsync("/api/audit?pageSize=0")).StatusCode);
    }
}
