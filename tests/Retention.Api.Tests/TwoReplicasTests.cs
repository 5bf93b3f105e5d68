using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Retention.Core.Runtime;
using Retention.Testing;
using Xunit.Abstractions;

namespace Retention.Api.Tests;

/// <summary>
/// Two real host processes on one storage account: 1,000 instances, each receiving two events at once through
/// both replicas while its timer runs. Every event must be kept (a lost update would leave the instance waiting
/// forever, or its message without a value), and every timer must fire once.
/// </summary>
[Collection(RealProcesses.Name)]
[Trait(RealProcesses.Trait, RealProcesses.Category)]
public sealed class TwoReplicas(ITestOutputHelper output) : IDisposable
{
    private const int Instances = 1000;
    private const int PerRequest = 50;

    // Events a and b may arrive before, during or after the timer; they are buffered and taken in order, each value
    // captured into the context and rendered into the one message.
    private const string Journey = """
        { "id": "replica-journey", "trigger": { "type": "event", "event": "sale.completed" }, "entry": { "policy": "oncePerKey", "key": "trigger.data.saleId" },
          "start": "w", "steps": [
            { "id": "w", "type": "wait", "duration": "PT2S", "next": "a" },
            { "id": "a", "type": "waitForEvent", "event": "replica.a", "match": { "saleId": "trigger.data.saleId" }, "capture": { "a": "event.data.value" }, "onEvent": "b" },
            { "id": "b", "type": "waitForEvent", "event": "replica.b", "match": { "saleId": "trigger.data.saleId" }, "capture": { "b": "event.data.value" }, "onEvent": "s" },
            { "id": "s", "type": "send", "channel": "sms", "template": "t", "category": "service", "next": "done" },
            { "id": "done", "type": "exit", "outcome": "done" } ],
          "templates": { "t": { "sms": { "en": "{{ context.a }}/{{ context.b }}" } } } }
        """;

    private readonly AzuriteProcess _azurite = new(10250);
    private readonly JourneyFolder _journeys = new(Journey);

    public void Dispose()
    {
        _azurite.Dispose();
        _journeys.Dispose();
    }

    private HostProcess StartReplica() => new(FreePorts.Take(), new Dictionary<string, string>
    {
        ["Retention__Storage__ConnectionString"] = _azurite.ConnectionString,
        ["Retention__JourneysPath"] = _journeys.Path,
        ["Retention__Webhooks__RateLimitPerSecond"] = "100000",
        // Each replica logs the orchestrations it runs, to show the partitions are shared.
        ["Logging__LogLevel__Microsoft.DurableTask.Worker.Orchestrations"] = "Information",
    });

    [Fact]
    public async Task EveryEventIsKeptAndEveryTimerFiresOnce()
    {
        await _azurite.StartAsync();
        using var first = StartReplica();
        await first.WaitUntilHealthyAsync(TimeSpan.FromSeconds(60)); // the first one creates the tables and publishes
        using var second = StartReplica();
        await second.WaitUntilHealthyAsync(TimeSpan.FromSeconds(60));
        using var one = Client(first);
        using var two = Client(second);
        var clock = Stopwatch.StartNew();

        // Per group of instances, three requests at once: the sales through one replica, event a through the second
        // and event b through the first, so one instance is written concurrently by both. A few requests at a time,
        // as a core system's sender would, so each one is answered promptly.
        using var senders = new SemaphoreSlim(6);
        var requests = new List<Task<HttpStatusCode>>();
        for (var from = 0; from < Instances; from += PerRequest)
        {
            var range = Enumerable.Range(from, PerRequest).ToList();
            var starts = new JsonArray([.. range.SelectMany(i => new JsonNode[] { Webhooks.Customer(CustomerId(i), phone: $"+86139{i:D8}"), Webhooks.Sale(CustomerId(i), SaleId(i)) })]);
            requests.Add(PostAsync(senders, from % 100 == 0 ? one : two, starts));
            requests.Add(PostAsync(senders, two, Events("replica.a", range, i => $"A{i}")));
            requests.Add(PostAsync(senders, one, Events("replica.b", range, i => $"B{i}")));
        }
        Assert.All(await Task.WhenAll(requests), status => Assert.Equal(HttpStatusCode.Accepted, status));
        output.WriteLine($"{requests.Count} requests accepted in {clock.Elapsed.TotalSeconds:F1} s");

        List<JsonObject> instances = [];
        var (lastCompleted, progressAt) = (-1, Stopwatch.StartNew());
        while (true)
        {
            var page = await one.GetFromJsonAsync<JsonObject>("/api/instances?journeyId=replica-journey&pageSize=1000");
            instances = [.. page!["items"]!.AsArray().Select(i => i!.AsObject())];
            var completed = instances.Count(i => i["status"]!.GetValue<string>() == "Completed");
            if (completed == Instances)
            {
                break;
            }
            if (completed != lastCompleted)
            {
                (lastCompleted, progressAt) = (completed, Stopwatch.StartNew());
            }
            // The only deadline is a stall: on a busy machine the work takes longer, but it keeps moving.
            Assert.True(progressAt.Elapsed < TimeSpan.FromSeconds(180), $"stalled: {completed} of {Instances} completed ({instances.Count} exist) after {clock.Elapsed.TotalSeconds:F0} s");
            await Task.Delay(1000);
        }
        output.WriteLine($"all {Instances} completed after {clock.Elapsed.TotalSeconds:F1} s");
        Assert.False(first.HasExited || second.HasExited);
        static int Ran(HostProcess replica) => replica.Output.Count(line => line.Contains("orchestration with ID 'replica-journey:", StringComparison.Ordinal));
        output.WriteLine($"orchestration episodes run: first replica {Ran(first)}, second replica {Ran(second)}");
        Assert.True(Ran(first) > 0 && Ran(second) > 0, "both replicas run orchestrations: the partitions are shared");

        var outbox = (await one.GetFromJsonAsync<JsonArray>("/api/dev/outbox"))!;
        Assert.Equal(Instances, outbox.Count);
        var bodies = outbox.ToDictionary(m => m!["instanceId"]!.GetValue<string>(), m => m!["body"]!.GetValue<string>());
        for (var i = 0; i < Instances; i++)
        {
            Assert.Equal($"A{i}/B{i}", bodies[$"replica-journey:{CustomerId(i)}:{SaleId(i)}"]);
        }

        // Read through both replicas: the timer fired once and each event was taken once.
        using var gate = new SemaphoreSlim(8);
        var histories = await Task.WhenAll(instances.Select(async (instance, n) =>
        {
            await gate.WaitAsync();
            try
            {
                var detail = await (n % 2 == 0 ? one : two).GetFromJsonAsync<JsonObject>($"/api/instances/{instance["instanceId"]!.GetValue<string>()}");
                return detail!["history"]!.AsArray().Select(h => h!["kind"]!.GetValue<string>()).ToList();
            }
            finally
            {
                gate.Release();
            }
        }));
        Assert.All(histories, kinds =>
        {
            Assert.Equal(1, kinds.Count(k => k == HistoryKinds.TimerFired));
            Assert.Equal(2, kinds.Count(k => k == HistoryKinds.EventReceived));
            Assert.Equal(1, kinds.Count(k => k == HistoryKinds.Send));
        });
        output.WriteLine($"checked in {clock.Elapsed.TotalSeconds:F1} s; history kinds: {string.Join(", ", histories[0])}");
    }

    private static string CustomerId(int i) => $"R{i:D4}";

    private static string SaleId(int i) => $"RS{i:D4}";

    private static JsonArray Events(string type, List<int> range, Func<int, string> value) =>
        new([.. range.Select(i => (JsonNode)Webhooks.Event(type, new JsonObject { ["customerId"] = CustomerId(i), ["saleId"] = SaleId(i), ["value"] = value(i) }))]);

    private static HttpClient Client(HostProcess host)
    {
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{host.Port}"), Timeout = TimeSpan.FromSeconds(120) };
        client.DefaultRequestHeaders.Add("X-Api-Key", "dev-admin-key");
        return client;
    }

    private static async Task<HttpStatusCode> PostAsync(SemaphoreSlim senders, HttpClient client, JsonArray batch)
    {
        await senders.WaitAsync();
        try
        {
            using var response = await client.PostAsync(batch, DateTimeOffset.UtcNow, batch: true);
            return response.StatusCode;
        }
        finally
        {
            senders.Release();
        }
    }
}
