using System.Text.Json.Nodes;
using Retention.Channels.DevOutbox;
using Retention.Core.Events;
using Retention.Core.Ports;
using Retention.Core.Runtime;
using Retention.Storage.Engine;
using Retention.Storage.Ingest;
using Retention.Storage.Instances;
using Retention.Storage.Work;
using Retention.Testing;

namespace Retention.Storage.Tests;

/// <summary>The durable runtime on Azurite under virtual time: the invariants of DESIGN.md.</summary>
public sealed class JourneyRuntimeOnAzurite : IDisposable
{
    private const string TwoTimers = """
        { "id": "two-timers", "trigger": { "type": "event", "event": "sale.completed" }, "entry": { "policy": "oncePerKey", "key": "trigger.data.saleId" },
          "start": "w1", "steps": [
            { "id": "w1", "type": "wait", "duration": "PT10S", "next": "s1" },
            { "id": "s1", "type": "send", "channel": "sms", "template": "t", "category": "service", "next": "w2" },
            { "id": "w2", "type": "wait", "duration": "P40D", "next": "s2" },
            { "id": "s2", "type": "send", "channel": "sms", "template": "t", "category": "service" } ],
          "templates": { "t": { "sms": { "en": "Hi {{ customer.name }}" } } } }
        """;

    private const string Survey = """
        { "id": "survey", "trigger": { "type": "event", "event": "sale.completed" }, "entry": { "policy": "oncePerKey", "key": "trigger.data.saleId" },
          "start": "w", "steps": [
            { "id": "w", "type": "wait", "duration": "PT1H", "next": "ask" },
            { "id": "ask", "type": "waitForEvent", "event": "survey.answered", "timeout": "P3D", "capture": { "score": "event.data.score" }, "onEvent": "yes", "onTimeout": "no" },
            { "id": "yes", "type": "exit", "outcome": "answered" },
            { "id": "no", "type": "exit", "outcome": "silent" } ] }
        """;

    private readonly RetentionFactory _host = new(virtualTime: true, [TwoTimers, Survey],
        new() { ["extensions:queues:MaxDequeueCount"] = "2" });

    public JourneyRuntimeOnAzurite()
    {
        _host.CreateClient(); // starts the host: storage created, journeys published
        foreach (var customer in new[] { "C1", "C9" })
        {
            _host.Get<Retention.Storage.Customers.CustomerProfileStore>().UpsertAsync(customer,
                new JsonObject { ["name"] = "Ann", ["phone"] = "+8613800138000", ["timeZone"] = "Asia/Shanghai" }, _host.Now, CancellationToken.None).GetAwaiter().GetResult();
        }
    }

    public void Dispose() => _host.Dispose();

    private async Task<string> StartAsync(string journeyId, string saleId, string customerId = "C1")
    {
        var trigger = new CustomerEvent(Guid.NewGuid().ToString("N"), "test", KnownEventTypes.SaleCompleted, _host.Now, customerId,
            new JsonObject { ["customerId"] = customerId, ["saleId"] = saleId });
        var journey = _host.Get<IJourneyCatalog>().Active.Single(j => j.Id == journeyId);
        var started = await _host.Get<JourneyEngine>().StartAsync(journey, trigger, CancellationToken.None);
        return Assert.IsType<Started>(started).InstanceId;
    }

    private async Task<JourneyInstanceState> StateAsync(string instanceId) =>
        (await _host.Get<InstanceStore>().GetAsync(instanceId, CancellationToken.None))!.State;

    private async Task<IReadOnlyList<HistoryEntry>> HistoryAsync(string instanceId) =>
        await _host.Get<InstanceStore>().HistoryAsync(instanceId, 1000, CancellationToken.None);

    private async Task<int> SentAsync(string instanceId) =>
        (await _host.Get<DevOutboxStore>().ListAsync(null, null, null, 10_000, CancellationToken.None)).Count(m => m.InstanceId == instanceId);

    [Fact]
    public async Task ATimerFiresOnceEvenWhenItsMessageIsDeliveredTwice()
    {
        var id = await StartAsync("two-timers", "S1");
        var timer = (await StateAsync(id)).Timer!;
        await _host.Get<WorkQueue>().EnqueueAsync(new TimerMessage(id, timer.Token, timer.DueAt)); // a redelivered copy
        await _host.AdvanceAsync(TimeSpan.FromSeconds(10));

        Assert.Single(await HistoryAsync(id), h => h.Kind == "timer-fired");
        Assert.Equal(1, await SentAsync(id));
    }

    [Fact]
    public async Task AFortyDayTimerHopsUntilItIsDueAndThenFiresOnce()
    {
        var id = await StartAsync("two-timers", "S2");
        await _host.AdvanceAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("w2", (await StateAsync(id)).CurrentStepId);

        for (var day = 0; day < 36; day += 6)
        {
            await _host.AdvanceAsync(TimeSpan.FromDays(6));
            Assert.Equal(InstanceStatus.Waiting, (await StateAsync(id)).Status);
        }
        await _host.AdvanceAsync(TimeSpan.FromDays(4) - TimeSpan.FromSeconds(1));
        Assert.Equal(InstanceStatus.Waiting, (await StateAsync(id)).Status);
        Assert.Equal(1, await SentAsync(id));
        await _host.AdvanceAsync(TimeSpan.FromSeconds(1));

        Assert.Equal(InstanceStatus.Completed, (await StateAsync(id)).Status);
        Assert.Equal(2, (await HistoryAsync(id)).Count(h => h.Kind == "timer-fired"));
        Assert.Equal(2, await SentAsync(id));
    }

    [Fact]
    public void AQueueMessageIsNeverHiddenForMoreThanSixDays()
    {
        var production = new QueueOptions();
        Assert.Equal(TimeSpan.FromDays(6), production.MaxTimerHop);
        Assert.True(production.MaxTimerHop < TimeSpan.FromDays(7));
    }

    [Fact]
    public async Task ConcurrentEventsForOneInstanceAreAllKept()
    {
        var id = await StartAsync("survey", "S3");
        var engine = _host.Get<JourneyEngine>();
        var events = Enumerable.Range(0, 16).Select(i => new CustomerEvent($"e{i}", "test", "survey.answered", _host.Now, "C1", new JsonObject { ["score"] = i }));
        await Task.WhenAll(events.Select(e => Task.Run(() => engine.ApplyAsync(id, new EventReceived(e), CancellationToken.None))));

        var state = await StateAsync(id);
        Assert.Equal(16, state.Buffered.Count);
        Assert.Equal(16, (await HistoryAsync(id)).Count(h => h.Kind == "event-buffered"));
    }

    [Fact]
    public async Task AnEarlyEventIsDeliveredWhenTheInstanceReachesItsWait()
    {
        var id = await StartAsync("survey", "S4");
        await _host.Get<EventIngestor>().AcceptAsync(new CustomerEvent("early", "test", "survey.answered", _host.Now, "C1", new JsonObject { ["score"] = 5 }), CancellationToken.None);
        await _host.RunUntilIdleAsync();
        Assert.Equal("w", (await StateAsync(id)).CurrentStepId);

        await _host.AdvanceAsync(TimeSpan.FromHours(1));

        var state = await StateAsync(id);
        Assert.Equal("answered", state.Outcome);
        Assert.Equal(5, state.Context["score"]!.GetValue<int>());
    }

    [Fact]
    public async Task AnEventThatArrivedBeforeTheInstanceIsDeliveredAtItsWait()
    {
        await _host.Get<EventIngestor>().AcceptAsync(new CustomerEvent("before", "test", "survey.answered", _host.Now, "C9", new JsonObject { ["score"] = 3 }), CancellationToken.None);
        await _host.RunUntilIdleAsync();
        var id = await StartAsync("survey", "S5", "C9");
        await _host.AdvanceAsync(TimeSpan.FromHours(1));
        Assert.Equal("answered", (await StateAsync(id)).Outcome);
    }

    [Fact]
    public async Task AnOutboxLeftByACrashIsCarriedOutOnceBeforeTheNextInput()
    {
        var id = await StartAsync("two-timers", "S6");
        var store = _host.Get<InstanceStore>();
        var stored = (await store.GetAsync(id, CancellationToken.None))!;
        var journey = await _host.Get<IJourneyCatalog>().GetAsync("two-timers", stored.State.Version, CancellationToken.None);
        // Commit the timer's step as a crashed worker would: state and outbox written, nothing dispatched.
        var result = _host.Get<JourneyInterpreter>().Interpret(journey!, stored.State, new TimerFired(stored.State.Timer!.Token), stored.State.Timer.DueAt);
        Assert.NotNull(await store.CommitAsync(stored, result, CancellationToken.None));
        Assert.Equal(0, await SentAsync(id));

        await _host.Get<JourneyEngine>().ApplyAsync(id, new EventReceived(new CustomerEvent("x", "test", "unrelated.thing", _host.Now, "C1", [])), CancellationToken.None);
        await _host.Get<JourneyEngine>().ApplyAsync(id, new EventReceived(new CustomerEvent("y", "test", "unrelated.thing", _host.Now, "C1", [])), CancellationToken.None);

        Assert.Equal(1, await SentAsync(id));
        Assert.Empty((await store.GetAsync(id, CancellationToken.None))!.Outbox);
    }

    [Fact]
    public async Task ACommitWithAStaleETagIsRefused()
    {
        var id = await StartAsync("survey", "S7");
        var store = _host.Get<InstanceStore>();
        var stored = (await store.GetAsync(id, CancellationToken.None))!;
        var journey = await _host.Get<IJourneyCatalog>().GetAsync("survey", stored.State.Version, CancellationToken.None);
        var interpreter = _host.Get<JourneyInterpreter>();
        var first = interpreter.Interpret(journey!, stored.State, new SuspendInstance("a"), _host.Now);
        var second = interpreter.Interpret(journey!, stored.State, new TerminateInstance("b"), _host.Now);

        Assert.NotNull(await store.CommitAsync(stored, first, CancellationToken.None));
        Assert.Null(await store.CommitAsync(stored, second, CancellationToken.None));
        Assert.Equal(InstanceStatus.Suspended, (await StateAsync(id)).Status);
    }

    [Fact]
    public async Task APoisonMessageIsKeptAndVisible()
    {
        var queue = _host.Get<WorkQueue>();
        await _host.Get<StorageAccount>().Queue(StorageAccount.WorkQueueName).SendMessageAsync("not json");
        await _host.RunUntilIdleAsync();

        var poison = await queue.PeekPoisonAsync(CancellationToken.None);
        Assert.Contains(poison, m => m.Body.ToString() == "not json");
    }

    [Fact]
    public async Task WorkThatKeepsFailingMovesToThePoisonQueueAfterMaxDequeueCount()
    {
        var id = await StartAsync("survey", "S8");
        // Break the instance's pinned version, so every attempt to apply a timer throws.
        var stored = (await _host.Get<InstanceStore>().GetAsync(id, CancellationToken.None))!;
        stored.State.Version = 999;
        var broken = new InterpretResult(stored.State, [], [], true);
        await _host.Get<InstanceStore>().CommitAsync(stored, broken, CancellationToken.None);
        await _host.Get<WorkQueue>().EnqueueAsync(new TimerMessage(id, stored.State.Timer!.Token, _host.Now));

        await _host.RunUntilIdleAsync();

        var poison = await _host.Get<WorkQueue>().PeekPoisonAsync(CancellationToken.None);
        Assert.Contains(poison, m => m.Body.ToString().Contains(id, StringComparison.Ordinal));
    }
}
