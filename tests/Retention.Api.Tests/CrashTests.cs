using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Retention.Core.Runtime;
using Retention.Testing;
using Xunit.Abstractions;

namespace Retention.Api.Tests;

/// <summary>
/// Invariants 1 and 2 on the real process and the real engine: kill -9 the host at several points of the work (and
/// restart the storage emulator once), restart, and every instance completes, every timer fires once, and every message
/// goes out exactly once. Kills are placed by observed progress, and the only deadline is a stall: no instance completing
/// for longer than the engine's recovery needs.
/// </summary>
[Collection(RealProcesses.Name)]
[Trait(RealProcesses.Trait, RealProcesses.Category)]
public sealed class HostKilledMidJourney(ITestOutputHelper output) : IDisposable
{
    private const int Instances = 100;

    /// <summary>Longer than a crash's recovery on the default settings (partition lease 30 s, then messages hidden 30 s), with room for a busy machine.</summary>
    private static readonly TimeSpan Stall = TimeSpan.FromSeconds(180);

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

    private HostProcess StartHost() => new(_port, new Dictionary<string, string>
    {
        ["Retention__Storage__ConnectionString"] = _azurite.ConnectionString,
        ["Retention__JourneysPath"] = _journeys.Path,
    });

    private HttpClient Client()
    {
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_port}") };
        client.DefaultRequestHeaders.Add("X-Api-Key", "dev-admin-key");
        return client;
    }

    private async Task<int> SentAsync(HttpClient client) => (await client.GetFromJsonAsync<JsonArray>("/api/dev/outbox"))!.Count;

    /// <summary>Waits until at least <paramref name="messages"/> are sent, failing only if sending stalls.</summary>
    private async Task WaitForSentAsync(HttpClient client, int messages)
    {
        var last = -1;
        var progressAt = Stopwatch.StartNew();
        while (await SentAsync(client) is var sent && sent < messages)
        {
            if (sent != last)
            {
                (last, progressAt) = (sent, Stopwatch.StartNew());
            }
            Assert.True(progressAt.Elapsed < Stall, $"sending stalled at {sent} messages");
            await Task.Delay(200);
        }
    }

    /// <summary>Prints what a stall left behind: the ingest backlog and where each unfinished instance stands.</summary>
    private async Task DescribeUnfinishedAsync(HttpClient admin, List<JsonObject> instances)
    {
        output.WriteLine($"{instances.Count} instances listed; ingest: {await admin.GetStringAsync("/api/operations/ingest")}");
        foreach (var instance in instances.Where(i => i["status"]!.GetValue<string>() != "Completed"))
        {
            var detail = await admin.GetFromJsonAsync<JsonObject>($"/api/instances/{instance["instanceId"]!.GetValue<string>()}");
            var history = detail!["history"]!.AsArray().Select(h => h!["kind"]!.GetValue<string>());
            output.WriteLine($"{instance["instanceId"]}: {detail["status"]}, history {string.Join(" ", history)}");
        }
    }

    [Fact]
    public async Task EveryInstanceCompletesAndEveryMessageGoesOutOnce()
    {
        await _azurite.StartAsync();
        using (var first = StartHost())
        {
            await first.WaitUntilHealthyAsync(TimeSpan.FromSeconds(120));
            using var client = Client();
            var batch = new JsonArray();
            for (var i = 0; i < Instances; i++)
            {
                batch.Add(Webhooks.Customer($"K{i:D3}", phone: $"+86139{i:D8}"));
                batch.Add(Webhooks.Sale($"K{i:D3}", $"S{i:D3}"));
            }
            var response = await client.PostAsync(batch, DateTimeOffset.UtcNow, batch: true);
            Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
            first.Kill(); // kill 1: right after the acknowledgement, journeys just scheduled
        }
        foreach (var sentBeforeKill in new[] { 30, 120 })
        {
            using var host = StartHost(); // kills 2 and 3: amid the first sends, then amid the second ones
            await host.WaitUntilHealthyAsync(TimeSpan.FromSeconds(120));
            using var client = Client();
            var recovering = Stopwatch.StartNew();
            await WaitForSentAsync(client, sentBeforeKill);
            output.WriteLine($"{sentBeforeKill} messages sent {recovering.Elapsed.TotalSeconds:0.0} s after the restart; killing the host");
            host.Kill();
        }
        // The storage goes down too, stopped as an operator would: a killed Azurite loses acknowledged writes (see
        // AzuriteProcess), which can leave a journey's history waiting for a message that is gone.
        await _azurite.StopAsync();
        await _azurite.StartAsync();

        using var last = StartHost();
        await last.WaitUntilHealthyAsync(TimeSpan.FromSeconds(120));
        using var admin = Client();
        var restarted = Stopwatch.StartNew();
        var (completed, progressAt) = (-1, Stopwatch.StartNew());
        List<JsonObject> instances;
        while (true)
        {
            var page = await admin.GetFromJsonAsync<JsonObject>("/api/instances?journeyId=crash-journey&pageSize=1000");
            instances = page!["items"]!.AsArray().Select(i => i!.AsObject()).ToList();
            var done = instances.Count(i => i["status"]!.GetValue<string>() == "Completed");
            if (done == Instances)
            {
                break;
            }
            if (done != completed)
            {
                (completed, progressAt) = (done, Stopwatch.StartNew());
            }
            if (progressAt.Elapsed >= Stall)
            {
                await DescribeUnfinishedAsync(admin, instances);
                Assert.Fail($"stalled: {done} of {Instances} completed");
            }
            await Task.Delay(500);
        }
        output.WriteLine($"all {Instances} completed {restarted.Elapsed.TotalSeconds:0.0} s after the last restart");

        foreach (var instance in instances)
        {
            var detail = await admin.GetFromJsonAsync<JsonObject>($"/api/instances/{instance["instanceId"]!.GetValue<string>()}");
            Assert.Equal(2, detail!["history"]!.AsArray().Count(h => h!["kind"]!.GetValue<string>() == HistoryKinds.TimerFired));
        }
        var outbox = (await admin.GetFromJsonAsync<JsonArray>("/api/dev/outbox"))!;
        Assert.Equal(Instances * 2, outbox.Count);
        Assert.Equal(Instances * 2, outbox.Select(m => $"{m!["instanceId"]}/{m["stepId"]}").Distinct().Count());
    }
}
