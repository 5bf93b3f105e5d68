using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Azure;
using Azure.Data.Tables;
using Retention.Core.Runtime;
using Retention.Testing;
using Xunit.Abstractions;

namespace Retention.Api.Tests;

/// <summary>
/// What a storage outage can leave behind on the real engine: DTFx checkpoints an episode by writing the history, then
/// the instance row, in two requests. When storage goes away between them in the episode that completes an instance,
/// the history says completed and the row still says running; the next message for the instance makes DTFx mend the
/// row from the history, which has no custom status, so the row loses the journey's view. The instance must still
/// read as completed, with its history.
/// </summary>
[Collection(RealProcesses.Name)]
[Trait(RealProcesses.Trait, RealProcesses.Category)]
public sealed class InstanceRowWriteLostInAnOutage(ITestOutputHelper output) : IDisposable
{
    private const string Journey = """
        { "id": "row-journey", "trigger": { "type": "event", "event": "sale.completed" }, "entry": { "policy": "oncePerKey", "key": "trigger.data.saleId" },
          "start": "w", "steps": [
            { "id": "w", "type": "wait", "duration": "PT1S", "next": "s" },
            { "id": "s", "type": "send", "channel": "sms", "template": "t", "category": "service", "next": "done" },
            { "id": "done", "type": "exit", "outcome": "done" } ],
          "templates": { "t": { "sms": { "en": "Thank you" } } } }
        """;

    private readonly AzuriteProcess _azurite = new(10270, inMemory: true);
    private readonly JourneyFolder _journeys = new(Journey);
    private readonly int _port = FreePorts.Take();

    public void Dispose()
    {
        _azurite.Dispose();
        _journeys.Dispose();
    }

    [Fact]
    public async Task ACompletedInstanceWhoseRowDtfxMendedStillReadsCompleted()
    {
        await _azurite.StartAsync();
        using var host = new HostProcess(_port, new Dictionary<string, string>
        {
            ["Retention__Storage__ConnectionString"] = _azurite.ConnectionString,
            ["Retention__JourneysPath"] = _journeys.Path,
        });
        await host.WaitUntilHealthyAsync(TimeSpan.FromSeconds(120));
        using var admin = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_port}") };
        admin.DefaultRequestHeaders.Add("X-Api-Key", "dev-admin-key");
        var taskHub = (await admin.GetFromJsonAsync<JsonObject>("/healthz"))!["taskHub"]!.GetValue<string>();
        using (var accepted = await admin.PostAsync(new JsonArray(Webhooks.Customer("W1"), Webhooks.Sale("W1", "S1")), DateTimeOffset.UtcNow, batch: true))
        {
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        }
        const string instanceId = "row-journey:W1:S1";
        await Progress.UntilAsync("the instance completing", () => DetailAsync(admin, instanceId), d => d["status"]!.GetValue<string>() == "Completed");

        // The journey's view says completed from the episode that ends it; the engine's row says so once the episode
        // after its last activity is checkpointed.
        var rows = new TableClient(_azurite.ConnectionString, taskHub + "Instances");
        await Progress.UntilAsync("the engine completing the instance", async () => JsonValue.Create((await rows.GetEntityAsync<TableEntity>(instanceId, "")).Value.GetString("RuntimeStatus")),
            status => status.GetValue<string>() == "Completed");

        // The last checkpoint's row write lost: the row says running, as after the episode before.
        await rows.UpdateEntityAsync(new TableEntity(instanceId, "") { ["RuntimeStatus"] = "Running" }, ETag.All, TableUpdateMode.Merge);

        // Any message for the instance (here an event raised by an operator; after an outage, the failed episode's own
        // message coming back) makes DTFx mend the row from the history.
        using (var raised = await admin.PostAsJsonAsync($"/api/instances/{instanceId}/events/late.answer", new JsonObject()))
        {
            Assert.Equal(HttpStatusCode.Accepted, raised.StatusCode);
        }
        await Progress.UntilAsync("DTFx mending the instance row", async () => JsonValue.Create((await rows.GetEntityAsync<TableEntity>(instanceId, "")).Value.GetString("RuntimeStatus")),
            status => status.GetValue<string>() == "Completed");
        output.WriteLine($"row after the mend: custom status {(await rows.GetEntityAsync<TableEntity>(instanceId, "")).Value.GetString("CustomStatus")}");

        var detail = (await DetailAsync(admin, instanceId))!;
        output.WriteLine(detail.ToJsonString());
        Assert.Equal("Completed", detail["status"]!.GetValue<string>());
        Assert.Equal("done", detail["outcome"]!.GetValue<string>());
        Assert.Single(detail["history"]!.AsArray(), h => h!["kind"]!.GetValue<string>() == HistoryKinds.TimerFired);
        var listed = (await admin.GetFromJsonAsync<JsonObject>("/api/instances?journeyId=row-journey"))!["items"]!.AsArray();
        Assert.Equal("Completed", Assert.Single(listed)!["status"]!.GetValue<string>());
    }

    private static async Task<JsonObject?> DetailAsync(HttpClient admin, string instanceId)
    {
        using var response = await admin.GetAsync($"/api/instances/{instanceId}");
        return response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<JsonObject>() : null;
    }
}
