using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Retention.Application.Ingest;
using Retention.Core.Ports;
using Retention.Core.Runtime;
using Retention.Journeys;
using Retention.Testing;
using Retention.Testing.Durable;

namespace Retention.Api.Tests;

/// <summary>
/// Webhook events are accepted with one inbox write and applied behind the answer: each customer's in acceptance
/// order, each once; a slow engine holds no acceptance back, and an event that keeps failing is set aside, visible
/// and retryable, without holding its customer's later events for good.
/// </summary>
[Collection(MetricsReadAlone.Name)]
public sealed class IngestBehindTheAcknowledgement : IDisposable
{
    private const string Journey = """
        { "id": "followup", "trigger": { "type": "event", "event": "sale.completed" }, "entry": { "policy": "oncePerKey", "key": "trigger.data.saleId" },
          "start": "wait", "steps": [
            { "id": "wait", "type": "wait", "duration": "P1D", "next": "done" },
            { "id": "done", "type": "exit", "outcome": "done" } ] }
        """;

    private readonly FaultyEngine _engine = new();
    private readonly RetentionFactory _host;

    public IngestBehindTheAcknowledgement()
    {
        _host = new RetentionFactory(virtualTime: true, [Journey], services: services =>
            services.AddSingleton<IJourneyInstances>(sp => _engine.Wrap(sp.GetRequiredService<VirtualDurableEngine>())));
    }

    public void Dispose() => _host.Dispose();

    private async Task PostAsync(JsonNode body, bool batch = false)
    {
        var response = await _host.CreateClient().PostAsync(body, _host.Now, batch);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    private static JsonObject Numbered(string customerId, int n) =>
        Webhooks.Event("customer.upserted", new JsonObject { ["customerId"] = customerId, ["attributes"] = new JsonObject { ["n"] = n } },
            id: $"{customerId}-n{n}", time: RetentionFactory.Epoch);

    private async Task<bool> HasInstanceAsync(string customerId, string saleId) =>
        await _engine.Inner!.GetAsync($"followup:{customerId}:{saleId}", CancellationToken.None) is not null;

    private async Task<JsonObject> IngestStatusAsync() => (await _host.Admin().GetFromJsonAsync<JsonObject>("/api/operations/ingest"))!;

    [Fact]
    public async Task AnIdleDrainLetsItsLeaseGoAndLeasesOnlyWhenWorkWaits()
    {
        var drain = _host.Get<IngestDrain>();
        var inbox = _host.Get<IIngestInbox>();
        var lease = TimeSpan.FromMinutes(5);

        // Nothing waits: the drain looks and leases nothing, so another replica could take the drain at once.
        Assert.False((await drain.DrainAsync(TimeSpan.FromMinutes(1), CancellationToken.None)).Progressed);
        Assert.True(await inbox.TryLeaseAsync("another-replica", lease, CancellationToken.None));
        await inbox.ReleaseLeaseAsync("another-replica", CancellationToken.None);

        await PostAsync(Numbered("C-idle", 1));
        Assert.Equal(1, (await drain.DrainAsync(TimeSpan.FromMinutes(1), CancellationToken.None)).Applied);
        Assert.False(await inbox.TryLeaseAsync("another-replica", lease, CancellationToken.None)); // ours, while it works
    }

    [Fact]
    public async Task EachCustomersEventsAreAppliedInTheOrderTheyWereAccepted()
    {
        // Ten numbered updates per customer, all with the same event time (so the last one applied wins), accepted
        // interleaved across customers, singly and in batches, and all waiting before the drain runs.
        for (var n = 0; n < 10; n++)
        {
            if (n % 3 == 0)
            {
                await PostAsync(new JsonArray([.. Enumerable.Range(0, 12).Select(c => (JsonNode)Numbered($"O{c}", n))]), batch: true);
                continue;
            }
            foreach (var c in Enumerable.Range(0, 12))
            {
                await PostAsync(Numbered($"O{c}", n));
            }
        }
        Assert.Equal(120, (await IngestStatusAsync())["backlog"]!["events"]!.GetValue<int>());

        await _host.RunUntilIdleAsync();

        foreach (var c in Enumerable.Range(0, 12))
        {
            var profile = await _host.Admin().GetFromJsonAsync<JsonObject>($"/api/customers/O{c}");
            Assert.Equal(9, profile!["attributes"]!["n"]!.GetValue<int>());
        }
        Assert.Equal(0, (await IngestStatusAsync())["backlog"]!["events"]!.GetValue<int>());
        // The drain was paced, and /metrics exports its pace (read alone: another host's drain would export beside it).
        var lanes = System.Text.RegularExpressions.Regex.Match(await _host.CreateClient().GetStringAsync("/metrics"), @"(?m)^retention_ingest_drain_lanes\{[^}]*\} (\d+)");
        Assert.True(lanes.Success, "retention_ingest_drain_lanes is not exported");
        Assert.InRange(int.Parse(lanes.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), 1, int.MaxValue);
    }

    [Fact]
    public async Task ASlowEngineHoldsNoAcceptanceBackAndEverythingIsAppliedOnceItRecovers()
    {
        var slow = new TaskCompletionSource();
        _engine.BeforeStart = _ => slow.Task;
        await PostAsync(Webhooks.Sale("W0", "S0"));
        var pumping = Task.Run(_host.RunUntilIdleAsync);
        await _engine.StartReached.WaitAsync(TimeSpan.FromSeconds(60)); // the drain is stuck inside the engine

        for (var i = 1; i <= 20; i++)
        {
            await PostAsync(Webhooks.Sale($"W{i}", "S0"));
        }
        var health = await _host.CreateClient().GetFromJsonAsync<JsonObject>("/healthz");
        Assert.Equal(21, health!["ingest"]!["events"]!.GetValue<int>());
        Assert.False(pumping.IsCompleted);

        slow.SetResult();
        await pumping;
        await _host.RunUntilIdleAsync();
        for (var i = 0; i <= 20; i++)
        {
            Assert.True(await HasInstanceAsync($"W{i}", "S0"), $"W{i} has no instance");
        }
        Assert.Equal(21, _engine.Starts);
    }

    [Fact]
    public async Task AnEventThatKeepsFailingIsSetAsideAfterItsAttemptsAndCanBeRetried()
    {
        _engine.BeforeStart = id => id == "followup:P1:S1" ? throw new InvalidOperationException("the engine refused this instance") : Task.CompletedTask;
        await PostAsync(Webhooks.Sale("P1", "S1"));
        await PostAsync(new JsonArray(Webhooks.Sale("P1", "S2"), Webhooks.Sale("OK1", "S1")), batch: true);
        await _host.RunUntilIdleAsync();

        // Another customer's event goes on; P1's next event waits behind the failing one, keeping P1's order.
        Assert.True(await HasInstanceAsync("OK1", "S1"));
        Assert.False(await HasInstanceAsync("P1", "S2"));

        // Retried after 2, 4, 8 and 16 s; the fifth failure sets it aside and P1's next event goes on.
        foreach (var delay in new[] { 2, 4, 8, 16 })
        {
            Assert.Empty((await IngestStatusAsync())["poisoned"]!.AsArray());
            _host.Clock.Advance(TimeSpan.FromSeconds(delay));
            await _host.RunUntilIdleAsync();
        }
        var status = await IngestStatusAsync();
        var poisoned = Assert.Single(status["poisoned"]!.AsArray())!;
        Assert.Equal(("sale.completed", "P1", 5), (poisoned["type"]!.GetValue<string>(), poisoned["customerId"]!.GetValue<string>(), poisoned["attempts"]!.GetValue<int>()));
        Assert.Contains("InvalidOperationException: the engine refused this instance", poisoned["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Null(poisoned["data"]); // operators see ids and the error, never the event's data
        Assert.Equal(0, status["backlog"]!["events"]!.GetValue<int>());
        Assert.True(await HasInstanceAsync("P1", "S2"));
        Assert.Equal(5, _engine.FailedStarts);

        // Not retried by itself: time passing changes nothing.
        _host.Clock.Advance(TimeSpan.FromMinutes(10));
        await _host.RunUntilIdleAsync();
        Assert.Equal(5, _engine.FailedStarts);

        // Once the cause is fixed, an operator puts it back.
        _engine.BeforeStart = null;
        var id = Uri.EscapeDataString(poisoned["id"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Unauthorized, (await _host.CreateClient().PostAsync($"/api/operations/ingest/poisoned/{id}/retry", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await _host.Admin().PostAsync($"/api/operations/ingest/poisoned/{id}/retry", null)).StatusCode);
        await _host.RunUntilIdleAsync();
        Assert.True(await HasInstanceAsync("P1", "S1"));
        Assert.Empty((await IngestStatusAsync())["poisoned"]!.AsArray());
        Assert.Equal(HttpStatusCode.NotFound, (await _host.Admin().PostAsync($"/api/operations/ingest/poisoned/{id}/retry", null)).StatusCode);
    }

    [Fact]
    public async Task AnIdenticalRedeliveryAndAFreshlySignedRetryWhileWaitingAreAppliedOnce()
    {
        var transaction = Webhooks.Event("transaction.posted", new JsonObject { ["customerId"] = "T1", ["transactionId"] = "TX1", ["amount"] = 500 }, id: "tx-1");
        using (var first = Webhooks.Request(transaction, _host.Now))
        {
            Assert.Equal(HttpStatusCode.Accepted, (await _host.CreateClient().SendAsync(first)).StatusCode);
        }
        using (var redelivery = Webhooks.Request(transaction, _host.Now))
        {
            var answer = await _host.CreateClient().SendAsync(redelivery);
            Assert.Equal(HttpStatusCode.Accepted, answer.StatusCode);
            Assert.Equal(1, (await answer.Content.ReadFromJsonAsync<JsonObject>())!["duplicates"]!.GetValue<int>());
        }
        _host.Clock.Advance(TimeSpan.FromSeconds(1));
        await PostAsync(transaction); // signed afresh, before the first is applied: accepted again
        Assert.Equal(2, (await IngestStatusAsync())["backlog"]!["events"]!.GetValue<int>());

        await _host.RunUntilIdleAsync();
        var customer = await _host.Admin().GetFromJsonAsync<JsonObject>("/api/customers/T1");
        Assert.Equal((1, 500m), (customer!["transactions"]!.GetValue<int>(), customer["revenue12m"]!.GetValue<decimal>()));
        Assert.Equal(0, (await IngestStatusAsync())["backlog"]!["events"]!.GetValue<int>());
    }

    /// <summary>The engine as the drain sees it, made slow or failing for chosen instances: the edge this test cannot break for real.</summary>
    private sealed class FaultyEngine
    {
        private int _starts;
        private int _failedStarts;

        public IJourneyInstances? Inner { get; private set; }
        public Func<string, Task>? BeforeStart { get; set; }
        public SemaphoreSlim StartReached { get; } = new(0);
        public int Starts => Volatile.Read(ref _starts);
        public int FailedStarts => Volatile.Read(ref _failedStarts);

        public IJourneyInstances Wrap(IJourneyInstances inner)
        {
            Inner = inner;
            return new Instances(this);
        }

        private sealed class Instances(FaultyEngine engine) : IJourneyInstances
        {
            private IJourneyInstances Inner => engine.Inner!;

            public async Task<bool> StartAsync(string orchestration, string instanceId, object input, CancellationToken cancellationToken)
            {
                if (orchestration == JourneyTasks.Journey && engine.BeforeStart is { } before)
                {
                    engine.StartReached.Release();
                    try
                    {
                        await before(instanceId);
                    }
                    catch
                    {
                        Interlocked.Increment(ref engine._failedStarts);
                        throw;
                    }
                }
                Interlocked.Increment(ref engine._starts);
                return await Inner.StartAsync(orchestration, instanceId, input, cancellationToken);
            }

            public Task SignalAsync(string instanceId, JourneySignal signal, CancellationToken cancellationToken) => Inner.SignalAsync(instanceId, signal, cancellationToken);

            public Task<JourneyInstanceInfo?> GetAsync(string instanceId, CancellationToken cancellationToken) => Inner.GetAsync(instanceId, cancellationToken);

            public Task<JourneyInstancePage> QueryAsync(string? journeyId, InstanceStatus? status, int pageSize, string? continuationToken, CancellationToken cancellationToken) =>
                Inner.QueryAsync(journeyId, status, pageSize, continuationToken, cancellationToken);

            public Task<bool> PurgeAsync(string instanceId, CancellationToken cancellationToken) => Inner.PurgeAsync(instanceId, cancellationToken);

            public Task<bool> RestartAsync(string instanceId, HistoryEntry restarted, CancellationToken cancellationToken) =>
                Inner.RestartAsync(instanceId, restarted, cancellationToken);

            public Task<JourneyInstancePage> QueryFailedAsync(string journeyId, int pageSize, string? continuationToken, CancellationToken cancellationToken) =>
                Inner.QueryFailedAsync(journeyId, pageSize, continuationToken, cancellationToken);
        }
    }
}
