using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Retention.Testing;

namespace Retention.Api.Tests;

public sealed class StaffTasks : IDisposable
{
    private const string CallTheClient = """
        { "id": "call-client", "trigger": { "type": "event", "event": "sale.completed" }, "start": "call", "steps": [
            { "id": "call", "type": "task", "kind": "call", "title": "Call about the new fund", "assignee": { "owner": true }, "due": "P2D", "next": "await" },
            { "id": "await", "type": "waitForEvent", "event": "task.completed", "match": { "instanceId": "journey.instanceId" },
              "capture": { "result": "event.data.outcome" }, "onEvent": "done" },
            { "id": "done", "type": "exit", "outcome": "called" } ] }
        """;

    private readonly RetentionFactory _host = new(virtualTime: true, [CallTheClient]);

    public void Dispose() => _host.Dispose();

    [Fact]
    public async Task AnOwnersTaskCanBeReassignedAndCompletingItMovesTheJourneyOn()
    {
        var client = _host.CreateClient();
        await client.PostAsync(Webhooks.Customer("K1"), _host.Now); // owner am-7
        await client.PostAsync(Webhooks.Sale("K1", "S1"), _host.Now);
        await _host.RunUntilIdleAsync();
        var admin = _host.Admin();

        var inbox = (await admin.GetFromJsonAsync<JsonObject>("/api/tasks?assignee=owner:am-7&status=open"))!["items"]!.AsArray();
        var task = Assert.Single(inbox!)!;
        Assert.Equal(("call", _host.Now.AddDays(2)), (task["kind"]!.GetValue<string>(), task["dueAt"]!.GetValue<DateTimeOffset>()));
        var id = task["id"]!.GetValue<string>();

        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsJsonAsync($"/api/tasks/{id}/reassign", new { role = "supervisor" })).StatusCode);
        Assert.Empty((await admin.GetFromJsonAsync<JsonObject>("/api/tasks?assignee=owner:am-7"))!["items"]!.AsArray()!);
        Assert.Single((await admin.GetFromJsonAsync<JsonObject>("/api/tasks?assignee=role:supervisor"))!["items"]!.AsArray()!);

        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsJsonAsync($"/api/tasks/{id}/complete", new { outcome = "interested" })).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await admin.PostAsJsonAsync($"/api/tasks/{id}/complete", new { outcome = "again" })).StatusCode);
        await _host.RunUntilIdleAsync();

        var instances = await admin.GetFromJsonAsync<JsonObject>("/api/instances?customerId=K1");
        var instance = Assert.Single(instances!["items"]!.AsArray())!;
        Assert.Equal(("Completed", "called"), (instance["status"]!.GetValue<string>(), instance["outcome"]!.GetValue<string>()));
        var detail = await admin.GetFromJsonAsync<JsonObject>($"/api/instances/{instance["instanceId"]!.GetValue<string>()}");
        Assert.Equal("interested", detail!["context"]!["result"]!.GetValue<string>());
    }

    [Fact]
    public async Task AnInboxNeedsAnAssignee() =>
        Assert.Equal(HttpStatusCode.BadRequest, (await _host.Admin().GetAsync("/api/tasks")).StatusCode);
}
