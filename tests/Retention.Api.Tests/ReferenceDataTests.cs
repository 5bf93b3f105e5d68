using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Retention.Testing;

namespace Retention.Api.Tests;

/// <summary>
/// The business calendars and the staff directory as versioned data: seeded from configuration at the first start,
/// imported as checked drafts and published as versions through the admin API, with audit; new instances pin the
/// latest version, and instances in flight keep theirs.
/// </summary>
public sealed class ReferenceDataTests : IDisposable
{
    private const string Escalation = """
        { "id": "escalation", "trigger": { "type": "event", "event": "sale.completed" }, "entry": { "policy": "oncePerKey", "key": "trigger.data.saleId" },
          "start": "first", "steps": [
            { "id": "first", "type": "task", "kind": "call", "title": "First", "assignee": { "role": "supervisor" }, "due": "P1D", "next": "wait" },
            { "id": "wait", "type": "wait", "duration": "P1D", "next": "second" },
            { "id": "second", "type": "task", "kind": "call", "title": "Second", "assignee": { "role": "supervisor" }, "due": "P1D", "next": "end" },
            { "id": "end", "type": "exit", "outcome": "done" } ] }
        """;

    private readonly RetentionFactory _host = new(virtualTime: true, [Escalation], new()
    {
        ["Retention:Staff:Default:supervisor"] = "sup-1",
        ["Retention:Admin:Keys:1:Name"] = "viewer",
        ["Retention:Admin:Keys:1:Key"] = "viewer-key",
        ["Retention:Admin:Keys:1:Roles:0"] = "viewer",
    });

    public void Dispose() => _host.Dispose();

    [Fact]
    public async Task NextYearsAdjustedWorkingDaysArePublishedAsANewCalendarVersionWithAudit()
    {
        var admin = _host.Admin();
        var calendars = (await admin.GetFromJsonAsync<JsonObject>("/api/calendars"))!;
        Assert.Equal(1, calendars["latestVersion"]!.GetValue<int>()); // seeded from config/calendars at the first start
        var document = calendars["latest"]!.AsObject();
        var mainland = document["calendars"]!.AsArray().Single(c => c!["id"]!.GetValue<string>() == "cn-mainland")!;
        mainland["workingDays"]!.AsArray().Add(new JsonObject { ["date"] = "2027-02-20", ["hoursOf"] = "monday", ["name"] = "春节调休上班" });

        var viewer = _host.CreateClient();
        viewer.DefaultRequestHeaders.Add("X-Api-Key", "viewer-key");
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsJsonAsync("/api/calendars/import", document)).StatusCode);

        var wrong = (JsonObject)document.DeepClone();
        wrong["regions"] = new JsonObject { ["north"] = "no-such-calendar" };
        var refused = await admin.PostAsJsonAsync("/api/calendars/import", wrong);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("/regions/north", (await refused.Content.ReadFromJsonAsync<JsonObject>())!["errors"]![0]!["path"]!.GetValue<string>());
        Assert.Null((await admin.GetFromJsonAsync<JsonObject>("/api/calendars"))!["draft"]); // nothing half-applied

        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsJsonAsync("/api/calendars/import", document)).StatusCode);
        Assert.NotNull((await admin.GetFromJsonAsync<JsonObject>("/api/calendars"))!["draft"]);
        var published = await admin.PostAsync("/api/calendars/publish", null);
        Assert.Equal(2, (await published.Content.ReadFromJsonAsync<JsonObject>())!["version"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.Conflict, (await admin.PostAsync("/api/calendars/publish", null)).StatusCode);

        var after = (await admin.GetFromJsonAsync<JsonObject>("/api/calendars"))!;
        Assert.Equal((2, 2), (after["latestVersion"]!.GetValue<int>(), after["versions"]!.AsArray().Count));
        Assert.Null(after["draft"]);
        Assert.Contains("2027-02-20", after["latest"]!.ToJsonString(), StringComparison.Ordinal);
        var first = (await admin.GetFromJsonAsync<JsonObject>("/api/calendars/versions/1"))!;
        Assert.DoesNotContain("2027-02-20", first["document"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/api/calendars/versions/3")).StatusCode);

        var audit = (await admin.GetFromJsonAsync<JsonObject>("/api/audit"))!["items"]!.AsArray();
        Assert.Contains(audit, e => e!["route"]!.GetValue<string>() == "/api/calendars/import" && e["status"]!.GetValue<int>() == 200
            && e["targetId"]!.GetValue<string>() == "calendars");
        Assert.Contains(audit, e => e!["route"]!.GetValue<string>() == "/api/calendars/publish" && e["status"]!.GetValue<int>() == 200
            && e["after"]!.GetValue<string>().Contains("\"latestVersion\":2", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ANewInstancePinsTheLatestStaffVersionAndOneInFlightKeepsItsOwn()
    {
        var admin = _host.Admin();
        var client = _host.CreateClient();
        await client.PostAsync(Webhooks.Sale("P1", "S1"), _host.Now);
        await _host.RunUntilIdleAsync();

        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsJsonAsync("/api/staff/import", new JsonObject { ["default"] = new JsonObject { ["supervisor"] = "sup-2" } })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync("/api/staff/publish", null)).StatusCode);
        await client.PostAsync(Webhooks.Sale("P2", "S2"), _host.Now);
        await _host.AdvanceAsync(TimeSpan.FromDays(2));

        Assert.Equal(["P1", "P1"], await CustomersOfTasksAsync(admin, "sup-1"));
        Assert.Equal(["P2", "P2"], await CustomersOfTasksAsync(admin, "sup-2"));
    }

    [Fact]
    public async Task AStaffVersionThatIsNotADirectoryIsRefusedNamingTheField()
    {
        var refused = await _host.Admin().PostAsJsonAsync("/api/staff/import", new JsonObject { ["regions"] = new JsonObject { ["north"] = new JsonObject { ["supervisor"] = 7 } } });

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("/regions/north/supervisor", (await refused.Content.ReadFromJsonAsync<JsonObject>())!["errors"]![0]!["path"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1001")]
    public async Task RefusesToStartWithInputsPerGenerationOutOfBounds(string value)
    {
        var refusal = Assert.IsAssignableFrom<Exception>(await RetentionFactory.StartFailureAsync(new() { ["Retention:InputsPerGeneration"] = value }));

        Assert.Contains($"Retention:InputsPerGeneration is {value}; it must be from 1 to 1000", refusal.ToString(), StringComparison.Ordinal);
    }

    private static async Task<string[]> CustomersOfTasksAsync(HttpClient admin, string owner) =>
        [.. (await admin.GetFromJsonAsync<JsonObject>($"/api/tasks?assignee=owner:{owner}"))!["items"]!.AsArray()!.Select(t => t!["customerId"]!.GetValue<string>()).Order(StringComparer.Ordinal)];
}
