using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Retention.Testing;
using Xunit.Abstractions;

namespace Retention.Api.Tests;

/// <summary>
/// What the webhook acknowledged is never lost: kill -9 the host right after a burst of accepted requests (singles
/// and batches), restart it, and every event is applied once: profiles, transaction aggregates and journey instances.
/// A core system unsure of its acknowledgements retries some requests, signed afresh; they change nothing. The only
/// deadline is a stall.
/// </summary>
[Collection(RealProcesses.Name)]
[Trait(RealProcesses.Trait, RealProcesses.Category)]
public sealed class IngestKilledAfterAcknowledgement(ITestOutputHelper output) : IDisposable
{
    private const int SingleCustomers = 60;
    private const int BatchCustomers = 100;
    private static readonly TimeSpan Stall = TimeSpan.FromSeconds(120);

    private const string Journey = """
        { "id": "burst-journey", "trigger": { "type": "event", "event": "sale.completed" }, "entry": { "policy": "oncePerKey", "key": "trigger.data.saleId" },
          "start": "wait", "steps": [
            { "id": "wait", "type": "wait", "duration": "P30D", "next": "done" },
            { "id": "done", "type": "exit", "outcome": "done" } ] }
        """;

    private readonly JourneyFolder _journeys = new(Journey);
    private readonly string _prefix = "k" + Guid.NewGuid().ToString("N")[..10];
    private readonly int _port = 17181;

    public void Dispose() => _journeys.Dispose();

    private HostProcess StartHost() => new(_port, new Dictionary<string, string>
    {
        ["Retention__Storage__ConnectionString"] = TestStorage.ConnectionString,
        ["Retention__Storage__Prefix"] = _prefix,
        ["Retention__JourneysPath"] = _journeys.Path,
        ["extensions__durableTask__storageProvider__partitionCount"] = "2",
    });

    private HttpClient Client()
    {
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_port}") };
        client.DefaultRequestHeaders.Add("X-Api-Key", "dev-admin-key");
        return client;
    }

    private static JsonObject Transaction(string customerId, decimal amount) =>
        Webhooks.Event("transaction.posted", new JsonObject { ["customerId"] = customerId, ["transactionId"] = $"T-{customerId}", ["amount"] = amount }, id: $"tx-{customerId}");

    private static decimal AmountOf(int i) => 100 + i;

    [Fact]
    public async Task EveryAcknowledgedEventIsAppliedOnceAfterTheHostIsKilled()
    {
        var customers = new List<string>();
        using (var first = StartHost())
        {
            await first.WaitUntilHealthyAsync(TimeSpan.FromSeconds(120));
            using var client = Client();
            var batch = new JsonArray();
            for (var i = 0; i < BatchCustomers; i++)
            {
                var id = $"B{i:D3}";
                customers.Add(id);
                batch.Add(Webhooks.Customer(id, phone: $"+86137{i:D8}"));
                batch.Add(Transaction(id, AmountOf(i)));
                batch.Add(Webhooks.Sale(id, "S1"));
                if (batch.Count >= 150)
                {
                    Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync(batch, DateTimeOffset.UtcNow, batch: true)).StatusCode);
                    batch = [];
                }
            }
            var singles = Enumerable.Range(0, SingleCustomers).Select(i => $"N{i:D3}").ToList();
            customers.AddRange(singles);
            await Parallel.ForEachAsync(singles, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (id, ct) =>
            {
                var i = int.Parse(id[1..], System.Globalization.CultureInfo.InvariantCulture);
                foreach (var e in new[] { Webhooks.Customer(id, phone: $"+86136{i:D8}"), Transaction(id, AmountOf(i)), Webhooks.Sale(id, "S1") })
                {
                    Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync(e, DateTimeOffset.UtcNow)).StatusCode);
                }
            });
            first.Kill(); // right after the last acknowledgement
        }

        using var host = StartHost();
        await host.WaitUntilHealthyAsync(TimeSpan.FromSeconds(120));
        using var admin = Client();
        // The core system retries what it was unsure of, signed afresh.
        foreach (var id in customers.Take(20))
        {
            Assert.Equal(HttpStatusCode.Accepted, (await admin.PostAsync(Transaction(id, AmountOf(int.Parse(id[1..], System.Globalization.CultureInfo.InvariantCulture))), DateTimeOffset.UtcNow)).StatusCode);
        }

        var restarted = Stopwatch.StartNew();
        var (waiting, progressAt) = (int.MaxValue, Stopwatch.StartNew());
        while (true)
        {
            var status = await admin.GetFromJsonAsync<JsonObject>("/api/operations/ingest");
            var events = status!["backlog"]!["events"]!.GetValue<int>();
            Assert.Empty(status["poisoned"]!.AsArray());
            var instances = (await admin.GetFromJsonAsync<JsonObject>("/api/instances?journeyId=burst-journey&pageSize=1000"))!["items"]!.AsArray().Count;
            if (events == 0 && instances == customers.Count)
            {
                break;
            }
            if (events + customers.Count - instances < waiting)
            {
                (waiting, progressAt) = (events + customers.Count - instances, Stopwatch.StartNew());
            }
            Assert.True(progressAt.Elapsed < Stall, $"stalled: {events} events waiting, {instances} of {customers.Count} instances");
            await Task.Delay(500);
        }
        output.WriteLine($"all {customers.Count * 3} events applied {restarted.Elapsed.TotalSeconds:0.0} s after the restart");

        foreach (var id in customers)
        {
            var profile = await admin.GetFromJsonAsync<JsonObject>($"/api/customers/{id}");
            var i = int.Parse(id[1..], System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(("Test Customer", 1, AmountOf(i)),
                (profile!["name"]!.GetValue<string>(), profile["transactions"]!.GetValue<int>(), profile["revenue12m"]!.GetValue<decimal>()));
        }
    }
}
