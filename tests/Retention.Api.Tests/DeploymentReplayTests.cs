using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Retention.Core.Definitions;
using Retention.Storage.Journeys;
using Retention.Testing;

namespace Retention.Api.Tests;

/// <summary>
/// Instances in flight across a deployment that changes what their replays read — the business calendars, the staff
/// directory, the schema's strictness and <c>InputsPerGeneration</c> — complete as they would have, on the real engine
/// (DTFx on Azurite): one host starts them; a second on the same storage, with other settings and new calendar and
/// staff versions published through the admin API, finishes them.
/// </summary>
public sealed class DeploymentReplayTests : IDisposable
{
    // A task for the region's supervisor, then a wait whose timeout counts working time in the default calendar,
    // then another task for the supervisor and a second-long wait.
    private const string Escalation = """
        { "id": "escalation", "trigger": { "type": "event", "event": "sale.completed" }, "entry": { "policy": "oncePerKey", "key": "trigger.data.saleId" },
          "start": "before", "steps": [
            { "id": "before", "type": "task", "kind": "call", "title": "Before", "assignee": { "role": "supervisor" }, "due": "P1D", "next": "await" },
            { "id": "await", "type": "waitForEvent", "event": "step.done", "businessTimeout": "PT8H", "onEvent": "after", "onTimeout": "after" },
            { "id": "after", "type": "task", "kind": "call", "title": "After", "assignee": { "role": "supervisor" }, "due": "P1D", "next": "pause" },
            { "id": "pause", "type": "wait", "duration": "PT2S", "next": "end" },
            { "id": "end", "type": "exit", "outcome": "done" } ] }
        """;

    // Published under a looser schema: today's refuses its "owner" field, as a stricter schema refuses what it once accepted.
    private const string Legacy = """
        { "id": "legacy", "owner": "retention-team", "trigger": { "type": "event", "event": "sale.completed" },
          "entry": { "policy": "oncePerKey", "key": "trigger.data.saleId" },
          "start": "pause", "steps": [
            { "id": "pause", "type": "wait", "duration": "PT3S", "next": "end" },
            { "id": "end", "type": "exit", "outcome": "done" } ] }
        """;

    private const string Always = """
        { "id": "always", "name": "Always", "timeZone": "UTC",
          "workingHours": { "monday": ["00:00-23:59"], "tuesday": ["00:00-23:59"], "wednesday": ["00:00-23:59"], "thursday": ["00:00-23:59"],
            "friday": ["00:00-23:59"], "saturday": ["00:00-23:59"], "sunday": ["00:00-23:59"] },
          "holidays": [], "workingDays": [] }
        """;

    private const string Weekdays = """
        { "id": "weekdays", "name": "Weekdays", "timeZone": "Asia/Shanghai",
          "workingHours": { "monday": ["09:00-17:00"], "tuesday": ["09:00-17:00"], "wednesday": ["09:00-17:00"], "thursday": ["09:00-17:00"], "friday": ["09:00-17:00"] },
          "holidays": [], "workingDays": [] }
        """;

    private readonly string _calendarsBefore = Folder(("always.json", Always));
    private readonly string _calendarsAfter = Folder(("weekdays.json", Weekdays));

    public void Dispose()
    {
        Directory.Delete(_calendarsBefore, recursive: true);
        Directory.Delete(_calendarsAfter, recursive: true);
    }

    [Fact]
    public async Task InstancesInFlightCompleteAsTheyWouldHaveAcrossADeploymentThatChangesTheirConfiguration()
    {
        string prefix;
        using (var before = new RetentionFactory(virtualTime: false, [Escalation], Settings(_calendarsBefore, "always", "sup-before", inputsPerGeneration: 10)))
        {
            prefix = before.Prefix;
            var catalog = before.Get<JourneyCatalog>();
            await catalog.PublishAsync(JourneyDefinitionReader.ReadPublished(Legacy)!, Legacy, CancellationToken.None);
            await catalog.RefreshAsync(CancellationToken.None);
            var client = before.CreateClient();
            Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync(Webhooks.Customer("D1"), DateTimeOffset.UtcNow)).StatusCode);
            Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync(Webhooks.Sale("D1", "DS1"), DateTimeOffset.UtcNow)).StatusCode);

            await Progress(before, "escalation:D1:DS1", d => d["currentStep"]?.GetValue<string>() == "await");
            await Progress(before, "legacy:D1:DS1", d => d["status"]!.GetValue<string>() is "Waiting" or "Completed");
        }

        // The deployment: one input per generation, other calendars and staff configured (which seed nothing now), and
        // new versions published: the calendar the wait counted in is gone, and the supervisor changed.
        var settings = Settings(_calendarsAfter, "weekdays", "sup-after", inputsPerGeneration: 1);
        settings["Retention:Storage:Prefix"] = prefix;
        using var after = new RetentionFactory(virtualTime: false, [Escalation], settings);
        var admin = after.Admin();
        await PublishAsync(admin, "/api/calendars", new JsonObject
        {
            ["calendars"] = new JsonArray(JsonNode.Parse(Weekdays)), ["regions"] = new JsonObject(), ["default"] = "weekdays",
        }, expectedVersion: 2);
        await PublishAsync(admin, "/api/staff", new JsonObject { ["default"] = new JsonObject { ["supervisor"] = "sup-after" } }, expectedVersion: 2);
        var next = after.CreateClient();
        Assert.Equal(HttpStatusCode.Accepted, (await next.PostAsync(Webhooks.Event("step.done", new JsonObject { ["customerId"] = "D1" }), DateTimeOffset.UtcNow)).StatusCode);

        var escalation = await Progress(after, "escalation:D1:DS1", Finished);
        Assert.True(escalation["status"]!.GetValue<string>() == "Completed", escalation.ToJsonString());
        Assert.Equal("done", escalation["outcome"]!.GetValue<string>());
        var legacy = await Progress(after, "legacy:D1:DS1", Finished);
        Assert.True(legacy["status"]!.GetValue<string>() == "Completed", legacy.ToJsonString());

        // Both tasks went to the supervisor in force when the generation began, the one created after the deployment too.
        var tasks = (await admin.GetFromJsonAsync<JsonObject>("/api/tasks?assignee=owner:sup-before"))!["items"]!.AsArray();
        Assert.Equal(["after", "before"], tasks!.Select(t => t!["stepId"]!.GetValue<string>()).Order(StringComparer.Ordinal));
        Assert.Empty((await admin.GetFromJsonAsync<JsonObject>("/api/tasks?assignee=owner:sup-after"))!["items"]!.AsArray()!);
    }

    private static async Task PublishAsync(HttpClient admin, string route, JsonObject version, int expectedVersion)
    {
        var imported = await admin.PostAsJsonAsync($"{route}/import", version);
        Assert.True(imported.IsSuccessStatusCode, await imported.Content.ReadAsStringAsync());
        var published = await admin.PostAsync($"{route}/publish", null);
        Assert.True(published.IsSuccessStatusCode, await published.Content.ReadAsStringAsync());
        Assert.Equal(expectedVersion, (await published.Content.ReadFromJsonAsync<JsonObject>())!["version"]!.GetValue<int>());
    }

    private static Dictionary<string, string?> Settings(string calendars, string defaultCalendar, string supervisor, int inputsPerGeneration) => new()
    {
        ["Retention:Calendars:Path"] = calendars,
        ["Retention:Calendars:Default"] = defaultCalendar,
        ["Retention:Staff:Default:supervisor"] = supervisor,
        ["Retention:InputsPerGeneration"] = inputsPerGeneration.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private static bool Finished(JsonObject detail) => detail["status"]!.GetValue<string>() is "Completed" or "Exited" or "Terminated" or "Failed";

    private static string Folder(params (string Name, string Json)[] files)
    {
        var folder = Path.Combine(Path.GetTempPath(), "calendars-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        foreach (var (name, json) in files)
        {
            File.WriteAllText(Path.Combine(folder, name), json);
        }
        return folder;
    }

    /// <summary>
    /// Polls the instance until <paramref name="done"/> holds. It fails only when nothing moves: the instance's view
    /// unchanged for two minutes (a host taking over the partitions, a busy machine, all take less), never on a deadline.
    /// </summary>
    private static async Task<JsonObject> Progress(RetentionFactory host, string instanceId, Func<JsonObject, bool> done)
    {
        var admin = host.Admin();
        var stall = TimeSpan.FromMinutes(2);
        string? last = null;
        var lastChange = DateTimeOffset.UtcNow;
        while (true)
        {
            var response = await admin.GetAsync($"/api/instances/{Uri.EscapeDataString(instanceId)}");
            var detail = response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<JsonObject>() : null;
            if (detail is not null && done(detail))
            {
                return detail;
            }
            var seen = detail?.ToJsonString();
            if (seen != last)
            {
                (last, lastChange) = (seen, DateTimeOffset.UtcNow);
            }
            Assert.True(DateTimeOffset.UtcNow - lastChange < stall, $"{instanceId} made no progress for {stall.TotalMinutes} minutes: {last ?? "not found"}");
            await Task.Delay(250);
        }
    }
}
