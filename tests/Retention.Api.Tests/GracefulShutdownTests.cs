using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Retention.Testing;
using Xunit.Abstractions;

namespace Retention.Api.Tests;

/// <summary>
/// A rolling deployment on the real process: SIGTERM stops the host gracefully, releasing its partition leases, so the
/// next process owns the partitions at once; <c>/healthz</c> says the worker is starting until it owns them, and once it
/// says healthy a new sale's journey runs without waiting out the old process's leases or messages (30 s each).
/// </summary>
[Collection(RealProcesses.Name)]
[Trait(RealProcesses.Trait, RealProcesses.Category)]
public sealed class HostRestartedGracefully(ITestOutputHelper output) : IDisposable
{
    private const string Journey = """
        { "id": "restart-journey", "trigger": { "type": "event", "event": "sale.completed" }, "entry": { "policy": "oncePerKey", "key": "trigger.data.saleId" },
          "start": "w", "steps": [
            { "id": "w", "type": "wait", "duration": "PT1H", "next": "done" },
            { "id": "done", "type": "exit", "outcome": "done" } ] }
        """;

    /// <summary>How long the old process's unreleased leases and dequeued messages would hold work back (DTFx's defaults).</summary>
    private static readonly TimeSpan LeaseAndVisibilityTimeout = TimeSpan.FromSeconds(30);

    private readonly AzuriteProcess _azurite = new(10260, inMemory: true);
    private readonly JourneyFolder _journeys = new(Journey);
    private readonly int _port = FreePorts.Take();

    public void Dispose()
    {
        _azurite.Dispose();
        _journeys.Dispose();
    }

    private HostProcess StartHost() => new(_port, new Dictionary<string, string>
    {
        ["Retention__Storage__ConnectionString"] = _azurite.ConnectionString,
        ["Retention__JourneysPath"] = _journeys.Path,
        ["Logging__LogLevel__Retention.Engine"] = "Information",
    });

    private HttpClient Client()
    {
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_port}") };
        client.DefaultRequestHeaders.Add("X-Api-Key", "dev-admin-key");
        return client;
    }

    [Fact]
    public async Task TheNextProcessOwnsThePartitionsWhenHealthyAndRunsANewJourneyAtOnce()
    {
        await _azurite.StartAsync();
        string taskHub;
        using (var first = StartHost())
        {
            await first.WaitUntilHealthyAsync(TimeSpan.FromSeconds(120));
            using var client = Client();
            var health = (await client.GetFromJsonAsync<JsonObject>("/healthz"))!;
            taskHub = health["taskHub"]!.GetValue<string>();
            Assert.True(health["partitions"]!.GetValue<int>() > 0, health.ToJsonString());
            var firstStart = await TimeToWaitingAsync(client, "S1");
            output.WriteLine($"first start: a new sale's journey was Waiting {firstStart.TotalSeconds:0.0} s after it was sent");

            var stopping = Stopwatch.StartNew();
            await first.TerminateAsync();
            await Progress.UntilAsync("the host exiting after SIGTERM", () => Task.FromResult(first.HasExited));
            output.WriteLine($"the host exited {stopping.Elapsed.TotalSeconds:0.0} s after SIGTERM, code {first.ExitCode}");
            Assert.Equal(0, first.ExitCode);
            Assert.Contains(first.Output, line => line.Contains("partition leases released", StringComparison.Ordinal));
        }

        // Released, not left to lapse: no partition has an owner.
        var leases = await PartitionLeasesAsync(taskHub);
        Assert.Equal(4, leases.Count);
        Assert.All(leases, lease => Assert.True(string.IsNullOrEmpty(lease.GetString("CurrentOwner")), $"{lease.RowKey} is still owned by {lease.GetString("CurrentOwner")}"));

        using var second = StartHost();
        using var probe = Client();
        var started = Stopwatch.StartNew();
        // Healthy only once it owns partitions: every answer before then is 503 saying the worker is starting (or not yet running).
        var before = new List<string>();
        var healthy = await Progress.WaitAsync(
            "the restarted host reporting healthy",
            async () =>
            {
                using var response = await probe.GetAsync("/healthz");
                var body = await response.Content.ReadFromJsonAsync<JsonObject>();
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    before.Add(body!["reason"]!.GetValue<string>());
                }
                return (response.StatusCode, Body: body!.ToJsonString());
            },
            seen => seen.StatusCode == HttpStatusCode.OK);
        var healthyAt = started.Elapsed;
        output.WriteLine($"restarted host healthy {healthyAt.TotalSeconds:0.0} s after start, after {before.Count} unhealthy answers: {string.Join(" | ", before.Distinct())}");
        Assert.All(before, reason => Assert.Contains("Durable Task worker", reason, StringComparison.Ordinal));
        var owned = JsonNode.Parse(healthy.Body)!["partitions"]!.GetValue<int>();
        Assert.Equal(4, owned); // the only worker: it owns every partition when it says healthy

        var afterRestart = await TimeToWaitingAsync(probe, "S2");
        output.WriteLine($"after the restart: a new sale's journey was Waiting {afterRestart.TotalSeconds:0.0} s after healthy");
        Assert.True(afterRestart < LeaseAndVisibilityTimeout,
            $"the new journey took {afterRestart.TotalSeconds:0.0} s: as long as waiting out the old process's leases or messages");
    }

    /// <summary>Sends a sale and measures until its journey is Waiting on its timer.</summary>
    private static async Task<TimeSpan> TimeToWaitingAsync(HttpClient client, string saleId)
    {
        var clock = Stopwatch.StartNew();
        using var accepted = await client.PostAsync(new JsonArray(Webhooks.Customer("R1"), Webhooks.Sale("R1", saleId)), DateTimeOffset.UtcNow, batch: true);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        await Progress.WaitAsync(
            $"the journey of sale {saleId} reaching Waiting",
            async () =>
            {
                using var response = await client.GetAsync($"/api/instances/restart-journey:R1:{saleId}");
                return response.IsSuccessStatusCode ? (await response.Content.ReadFromJsonAsync<JsonObject>())!["status"]!.GetValue<string>() : $"{(int)response.StatusCode}";
            },
            status => status == "Waiting");
        return clock.Elapsed;
    }

    private async Task<List<TableEntity>> PartitionLeasesAsync(string taskHub)
    {
        var table = new TableClient(_azurite.ConnectionString, taskHub + "Partitions");
        List<TableEntity> leases = [];
        await foreach (var lease in table.QueryAsync<TableEntity>())
        {
            leases.Add(lease);
        }
        return leases;
    }
}
