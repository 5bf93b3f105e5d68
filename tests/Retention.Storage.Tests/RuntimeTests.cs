using System.Text.Json.Nodes;
using Retention.Application.Ingest;
using Retention.Application.Routing;
using Retention.Core.Definitions;
using Retention.Core.Events;
using Retention.Core.Ports;
using Retention.Core.Runtime;
using Retention.Journeys;
using Retention.Storage.DevOutbox;
using Retention.Storage.Ingest;
using Retention.Storage.Journeys;
using Retention.Storage.Routing;
using Retention.Testing;

namespace Retention.Storage.Tests;

/// <summary>
/// The journey orchestrator and its activities on Azurite under virtual time (the in-memory engine runs the real
/// orchestrator classes): the invariants of DESIGN.md that the driver, not the engine, must keep.
/// </summary>
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

    private readonly RetentionFactory _host = new(virtualTime: true, [TwoTimers, Survey]);

    public JourneyRuntimeOnAzurite()
    {
        _host.CreateClient(); // starts the host: storage created, journeys published
        foreach (var customer in new[] { "C1", "C9" })
        {
            _host.Get<Retention.Storage.Customers.CustomerProfileStore>().ApplyAsync(customer,
                new Retention.Core.Customers.ProfileMerge(new JsonObject { ["name"] = "Ann", ["phone"] = "+8613800138000", ["timeZone"] = "Asia/Shanghai" }), _host.Now, CancellationToken.None).GetAwaiter().GetResult();
        }
    }

    public void Dispose() => _host.Dispose();

    private async Task<string> StartAsync(string journeyId, string saleId, string customerId = "C1")
    {
        var trigger = new CustomerEvent(Guid.NewGuid().ToString("N"), "test", KnownEventTypes.SaleCompleted, _host.Now, customerId,
            new JsonObject { ["customerId"] = customerId, ["saleId"] = saleId });
        var journey = _host.Get<IJourneyCatalog>().Active.Single(j => j.Id == journeyId);
        var started = await _host.Get<JourneyRouter>().StartAsync(journey, trigger, CancellationToken.None);
        await _host.RunUntilIdleAsync();
        return Assert.IsType<Started>(started).InstanceId;
    }

    private async Task<JourneyInstanceState> StateAsync(string instanceId) =>
        (await _host.Get<IJourneyInstances>().GetAsync(instanceId, CancellationToken.None))!.State;

    private async Task<IReadOnlyList<HistoryEntry>> HistoryAsync(string instanceId) =>
        (await _host.Get<IJourneyInstances>().GetAsync(instanceId, CancellationToken.None))!.History;

    private async Task<int> SentAsync(string instanceId) =>
        (await _host.Get<DevOutboxStore>().ListAsync(null, null, null, 1000, null, CancellationToken.None)).Items.Count(m => m.InstanceId == instanceId);

    [Fact]
    public async Task ASendActivityRunTwiceSendsOnce()
    {
        var id = await StartAsync("two-timers", "S1");
        await _host.AdvanceAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1, await SentAsync(id));
        var sent = (await _host.Get<DevOutboxStore>().ListAsync(null, null, null, 1000, null, CancellationToken.None)).Items;
        var send = new SendMessage($"{id}/s1/1", StableHash.Uuid($"{id}/s1/1"), _host.Now, id, "two-timers", 1, "s1", "C1",
            Core.Definitions.MessageChannel.Sms, Core.Definitions.MessageCategory.Service, "t",
            new JsonObject { ["customer"] = new JsonObject { ["name"] = "Ann", ["phone"] = "+8613800138000" } });

        // An activity retried after a crash: the same key finds its claim marked sent and does nothing.
        var again = await _host.Get<IMessageSender>().SendAsync(send, CancellationToken.None);

        Assert.Equal(SendStatus.Duplicate, again.Status);
        Assert.Equal(1, await SentAsync(id));
    }

    [Fact]
    public async Task AFortyDayWaitFiresOnceAtItsDueTime()
    {
        var id = await StartAsync("two-timers", "S2");
        await _host.AdvanceAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("w2", (await StateAsync(id)).CurrentStepId);
        var due = (await StateAsync(id)).Timer!.DueAt;

        await _host.AdvanceAsync(TimeSpan.FromDays(40) - TimeSpan.FromSeconds(1));
        Assert.Equal(InstanceStatus.Waiting, (await StateAsync(id)).Status);
        Assert.Equal(1, await SentAsync(id));
        await _host.AdvanceAsync(TimeSpan.FromSeconds(1));

        Assert.Equal(InstanceStatus.Completed, (await StateAsync(id)).Status);
        Assert.Equal(2, (await HistoryAsync(id)).Count(h => h.Kind == HistoryKinds.TimerFired));
        Assert.Equal(2, await SentAsync(id));
        Assert.Equal(due, (await _host.Get<DevOutboxStore>().ListAsync(null, null, null, 1000, null, CancellationToken.None)).Items.Where(m => m.InstanceId == id).Max(m => m.SentAt));
    }

    [Fact]
    public async Task ConcurrentEventsForOneInstanceAreAllKept()
    {
        var id = await StartAsync("survey", "S3");
        var instances = _host.Get<IJourneyInstances>();
        var events = Enumerable.Range(0, 16).Select(i => new CustomerEvent($"e{i}", "test", "survey.answered", _host.Now, "C1", new JsonObject { ["score"] = i }));
        await Task.WhenAll(events.Select(e => Task.Run(() => instances.SignalAsync(id, JourneySignal.Of(e), CancellationToken.None))));
        await _host.RunUntilIdleAsync();

        var state = await StateAsync(id);
        Assert.Equal(16, state.Buffered.Count);
        Assert.Equal(16, (await HistoryAsync(id)).Count(h => h.Kind == HistoryKinds.EventBuffered));
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
    public async Task AnEventIsRaisedOnlyToInstancesWhoseJourneyReactsToItsType()
    {
        var survey = await StartAsync("survey", "S6");
        var timers = await StartAsync("two-timers", "S7");
        var ingestor = _host.Get<EventIngestor>();

        // A refund: neither journey waits for, exits on, converts on or times a clock by it, and it changes no profile.
        await ingestor.AcceptAsync(new CustomerEvent("refund", "test", KnownEventTypes.SaleRefunded, _host.Now, "C1", new JsonObject { ["saleId"] = "S6" }), CancellationToken.None);
        await _host.RunUntilIdleAsync();
        Assert.Equal((0, 0), (_host.Engine.EventsRaisedTo(survey), _host.Engine.EventsRaisedTo(timers)));

        // An answer reaches the survey alone; a profile change reaches both (each keeps its copy of the profile).
        await ingestor.AcceptAsync(new CustomerEvent("answer", "test", "survey.answered", _host.Now, "C1", new JsonObject { ["score"] = 4 }), CancellationToken.None);
        await ingestor.AcceptAsync(new CustomerEvent("renamed", "test", KnownEventTypes.CustomerUpserted, _host.Now, "C1", new JsonObject { ["name"] = "Bea" }), CancellationToken.None);
        await _host.RunUntilIdleAsync();
        Assert.Equal((2, 1), (_host.Engine.EventsRaisedTo(survey), _host.Engine.EventsRaisedTo(timers)));
        Assert.Equal("survey.answered", Assert.Single((await StateAsync(survey)).Buffered).Event.Type);
    }

    [Fact]
    public async Task AnEventAnOlderVersionReactsToStillReachesThatVersionsInstances()
    {
        var onOne = await StartAsync("survey", "S8");
        // Version 2 waits for another event: an instance still on version 1 waits for the answer, so the router raises it there.
        var json = Survey.Replace("\"event\": \"survey.answered\"", "\"event\": \"survey.skipped\"", StringComparison.Ordinal);
        Assert.NotEqual(Survey, json);
        Assert.Equal(2, (await _host.Get<JourneyCatalog>().PublishAsync(_host.Get<JourneyDefinitionReader>().Read(json).Definition!, json, CancellationToken.None)).Version);
        Assert.False(_host.Get<IJourneyCatalog>().Active.Single(j => j.Id == "survey").ReactsTo("survey.answered"));

        await _host.Get<EventIngestor>().AcceptAsync(new CustomerEvent("late-answer", "test", "survey.answered", _host.Now, "C1", new JsonObject { ["score"] = 2 }), CancellationToken.None);
        await _host.RunUntilIdleAsync();

        Assert.Equal(1, _host.Engine.EventsRaisedTo(onOne));
        Assert.Equal("survey.answered", Assert.Single((await StateAsync(onOne)).Buffered).Event.Type);
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
    public async Task AnInstanceWhoseStepCannotRunFailsVisiblyAndOthersGoOn()
    {
        var broken = await StartAsync("survey", "S8");
        var healthy = await StartAsync("survey", "S9");
        // A signal the instance cannot apply (a migration to a definition that does not read) fails it alone.
        await _host.Get<IJourneyInstances>().SignalAsync(broken, new JourneySignal(SignalKind.Migrate, Definition: "{}", Version: 2,
            Mapping: new Dictionary<string, string>()), CancellationToken.None);
        await _host.AdvanceAsync(TimeSpan.FromHours(1));

        var failed = await StateAsync(broken);
        Assert.Equal(InstanceStatus.Failed, failed.Status);
        Assert.False(string.IsNullOrEmpty(failed.Outcome));
        Assert.Equal("ask", (await StateAsync(healthy)).CurrentStepId);
        var listed = await _host.Get<IJourneyInstances>().QueryAsync("survey", InstanceStatus.Failed, 10, null, CancellationToken.None);
        Assert.Equal([broken], listed.Items.Select(i => i.State.InstanceId));
    }
}
