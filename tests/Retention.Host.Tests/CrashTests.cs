using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Retention.Testing;
using Xunit.Abstractions;

namespace Retention.Host.Tests;

/// <summary>
/// Invariants 1 and 2 on the real process: kill -9 the host at every point of the checkpoint order (and the storage
/// emulator too), restart, and every timer still fires exactly once and no message goes out twice.
/// </summary>
public sealed class HostKilledMidCheckpoint(ITestOutputHelper output) : IDisposable
{
    private const int Instances = 100;

    private const string Journey = """
        { "id": "crash-journey", "trigger": { "type": "event", "event": "sale.completed" }, "entry": { "policy": "oncePerKey", "key": "trigger.data.saleId" },
          "start": "w1", "steps": [
            { "id": "w1", "type": "wait", "duration": "PT3S", "next": "s1" },
            { "id": "s1", "type": "send", "channel": "sms", "template": "t", "category": "service", "next": "w2" },
            { "id": "w2", "type": "wait", "duration": "PT3S", "next": "s2" },
            { "id": "s2", "type": "send", "channel": "sms", "template": "t", "category": "service", "next": "done" },
            { "id": "done", "type": "exit", "outcome": "done" } ],
          "templates": { "t": { "sms": { "en": "Hello {{ customer.name }}" } } } }
        """;

    private readonly AzuriteProcess _azurite = new(10210);
    private readonly JourneyFolder _journeys = new(Journey);
    private readonly int _port = 17171;

    public void Dispose()
    {
        _azurite.Dispose();
        _journeys.Dispose();
    }

    private HostProcess StartHost(string? crashAt) => new(_port, new Dictionary<string, string>
    {
        ["Retention__Storage__ConnectionString"] = _azurite.ConnectionString,
        ["Retention__JourneysPath"] = _journeys.Path,
        ["extensions__queues__ProcessingLease"] = "00:00:03", // work held by a killed host comes back quickly
        ["extensions__queues__VisibilityTimeout"] = "00:00:01",
        ["extensions__queues__MaxDequeueCount"] = "50",
        ["RETENTION_CRASH_AT"] = crashAt ?? "",
    });

    [Fact]
    public async Task EveryTimerFiresOnceAndNoMessageIsSentTwice()
    {
        await _azurite.StartAsync();
        using (var first = StartHost(crashAt: null))
        {
            await first.WaitUntilHealthyAsync(TimeSpan.FromSeconds(60));
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_port}") };
            var batch = new JsonArray();
            for (var i = 0; i < Instances; i++)
            {
                batch.Add(Webhooks.Customer($"K{i:D3}", phone: $"+86139{i:D8}"));
                batch.Add(Webhooks.Sale($"K{i:D3}", $"S{i:D3}"));
            }
            var response = await client.PostAsync(batch, DateTimeOffset.UtcNow, batch: true);
            Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
            first.Kill(); // mid-flight: events accepted, journeys starting
        }
        foreach (var crashAt in new[] { "AfterCommit:15", "AfterSend:10", "AfterDispatch:10", "BeforeMessageDelete:15" })
        {
            using var host = StartHost(crashAt);
            var died = await host.WaitForExitAsync(TimeSpan.FromSeconds(45));
            output.WriteLine($"{crashAt}: {(died ? "killed itself" : "did not reach the point")}");
            Assert.True(died, $"the host never reached {crashAt}");
        }
        using (var killedFromOutside = StartHost(crashAt: null))
        {
            await killedFromOutside.WaitUntilHealthyAsync(TimeSpan.FromSeconds(60));
            await Task.Delay(TimeSpan.FromSeconds(1.5));
            killedFromOutside.Kill();
        }
        _azurite.Kill(); // the emulator dies too; its data is on disk
        await _azurite.StartAsync();

        using var last = StartHost(crashAt: null);
        await last.WaitUntilHealthyAsync(TimeSpan.FromSeconds(60));
        using var admin = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_port}") };
        admin.DefaultRequestHeaders.Add("X-Api-Key", "dev-admin-key");
        var deadline = DateTime.UtcNow.AddSeconds(120);
        List<JsonObject> instances;
        while (true)
        {
            var page = await admin.GetFromJsonAsync<JsonObject>("/api/instances?journeyId=crash-journey&pageSize=1000");
            instances = page!["items"]!.AsArray().Select(i => i!.AsObject()).ToList();
            if (instances.Count == Instances && instances.All(i => i["status"]!.GetValue<string>() == "Completed"))
            {
                break;
            }
            Assert.True(DateTime.UtcNow < deadline, $"{instances.Count(i => i["status"]!.GetValue<string>() == "Completed")} of {Instances} completed");
            await Task.Delay(500);
        }

        foreach (var instance in instances)
        {
            var detail = await admin.GetFromJsonAsync<JsonObject>($"/api/instances/{instance["instanceId"]!.GetValue<string>()}");
            var history = detail!["history"]!.AsArray();
            Assert.Equal(2, history.Count(h => h!["kind"]!.GetValue<string>() == "timer-fired"));
        }
        var outbox = (await admin.GetFromJsonAsync<JsonArray>("/api/dev/outbox"))!;
        Assert.Equal(Instances * 2, outbox.Count);
        Assert.Equal(Instances * 2, outbox.Select(m => $"{m!["instanceId"]}/{m["stepId"]}").Distinct().Count());
    }
}
