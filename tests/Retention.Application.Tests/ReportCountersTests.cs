using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Retention.Application.Reporting;
using Retention.Application.Routing;
using Retention.Application.Scheduling;
using Retention.Core.Events;
using Retention.Core.Ports;
using Retention.Core.Reporting;
using Retention.Core.Runtime;
using Retention.Journeys;
using Retention.Storage.Journeys;
using Retention.Testing;

namespace Retention.Application.Tests;

/// <summary>
/// The reports and the journey list read counters kept as instances move, on Azurite under virtual time (activities
/// running side by side, as a worker runs them): with 12,000 instances of one journey they equal a count from scratch
/// over the instances, and stay equal after a retried activity, a redelivered event and the backfill run twice.
/// <para>
/// Its pace hangs on the emulator's round-trips: enough activities run at once that the counters write the instances'
/// records in full groups (<c>FactCounterStore</c>: 4 writers a partition, 50 subjects a transaction), and instances
/// start and are signalled a few thousand before each idle point.
/// </para>
/// </summary>
public sealed class ReportCounters : IDisposable
{
    private const int Instances = 12_000;
    private const int Batch = 2_000;

    /// <summary>A complaint journey with a holdout, a goal and an SLA clock by severity: every kind of fact the reports count.</summary>
    private const string Journey = """
        { "id": "counted", "trigger": { "type": "event", "event": "complaint.opened" },
          "entry": { "policy": "oncePerKey", "key": "trigger.data.complaintId" },
          "holdoutPercent": 10, "goal": { "event": "transaction.posted", "within": "P30D" },
          "clocks": { "response": { "target": { "path": "trigger.data.severity", "cases": { "critical": "PT1H", "high": "PT4H" }, "default": "PT8H" } } },
          "start": "start-clock", "steps": [
            { "id": "start-clock", "type": "clock", "clock": "response", "action": "start", "next": "await-response" },
            { "id": "await-response", "type": "waitForEvent", "event": "complaint.responded",
              "deadline": { "clock": "response", "percent": 100 }, "onEvent": "stop-clock", "onTimeout": "late" },
            { "id": "stop-clock", "type": "clock", "clock": "response", "action": "stop", "next": "responded" },
            { "id": "responded", "type": "exit", "outcome": "responded" },
            { "id": "late", "type": "exit", "outcome": "late" } ] }
        """;

    private static readonly string[] Severities = ["critical", "high", "normal", "low"];

    private readonly RetentionFactory _host = new(virtualTime: true, [Journey]) { ActivityConcurrency = 256 };
    private readonly HttpClient _admin;

    public ReportCounters() => _admin = _host.Admin();

    public void Dispose()
    {
        _admin.Dispose();
        _host.Dispose();
    }

    [Fact]
    public async Task FunnelOutcomesAndSlaEqualACountFromScratchAndStaySoAfterRetriesRedeliveriesAndBackfills()
    {
        var engine = _host.Get<IJourneyInstances>();
        var json = (await _host.Get<JourneyCatalog>().ReadJsonAsync("counted", 1, CancellationToken.None))!;
        var settings = _host.Get<ICurrentSettings>().Current;
        var ids = new List<string>(Instances);
        for (var first = 0; first < Instances; first += Batch)
        {
            for (var i = first; i < Math.Min(first + Batch, Instances); i++)
            {
                var customer = $"C{i:D5}";
                var trigger = new CustomerEvent($"open-{i}", "test", KnownEventTypes.ComplaintOpened, _host.Now, customer,
                    new JsonObject { ["customerId"] = customer, ["complaintId"] = $"K{i}", ["severity"] = Severities[i % Severities.Length] });
                var id = $"counted:{customer}:K{i}";
                var start = new StartInstance(id, $"K{i}", trigger, new JsonObject { ["customerId"] = customer, ["timeZone"] = "Asia/Shanghai" }, []);
                Assert.True(await engine.StartAsync(JourneyTasks.Journey, id, new JourneyRun(json, 1, start, null, null, Pinned: settings), CancellationToken.None));
                ids.Add(id);
            }
            await _host.RunUntilIdleAsync();
        }
        await _host.AdvanceAsync(TimeSpan.FromMinutes(30));
        // A third respond in time, a fifth convert (held out or not); the rest breach their target as time passes.
        var responded = new List<(string Id, CustomerEvent Event)>();
        for (var i = 0; i < Instances; i++)
        {
            if (i % 3 == 0)
            {
                responded.Add((ids[i], await SignalAsync(ids[i], $"respond-{i}", "complaint.responded")));
            }
            if (i % 5 == 0)
            {
                await SignalAsync(ids[i], $"pay-{i}", "transaction.posted");
            }
            if (i % Batch == Batch - 1)
            {
                await _host.RunUntilIdleAsync();
            }
        }
        await _host.AdvanceAsync(TimeSpan.FromDays(3));

        var expected = await CountFromScratchAsync();
        Assert.Equal(Instances, expected.Entered);
        Assert.True(expected.Outcomes.Count >= 4 && expected.Sla.Values.All(s => s.Met > 0 && s.Breached > 0) && expected.Holdout > 0 && expected.Converted > 0,
            "the run covers every kind of fact");
        await AssertReportsAsync(expected);

        // A retried activity: the engine runs CountFacts again with the input it already recorded.
        var counters = _host.Get<IFactCounters>();
        foreach (var (id, _) in responded.Take(50))
        {
            var state = (await engine.GetAsync(id, CancellationToken.None))!.State;
            await counters.RecordAsync(JourneyFacts.CountedOf(state, _host.Now, _host.Get<PinnedInterpreters>().Current.Settings.Calendars), CancellationToken.None);
        }
        // A redelivered event: the same response again, to instances that already took it (and finished with it).
        foreach (var (id, e) in responded.Take(50))
        {
            await engine.SignalAsync(id, JourneySignal.Of(e), CancellationToken.None);
        }
        await _host.RunUntilIdleAsync();
        await AssertReportsAsync(expected);

        // The backfill, twice: every instance and message is already counted, so no figure moves.
        var backfill = _host.Get<CounterBackfill>();
        for (var run = 0; run < 2; run++)
        {
            var figures = await backfill.RunAsync(new SystemJobRun("counters", _host.Now, Manual: true), CancellationToken.None);
            Assert.Equal(Instances, figures["instances"]!.GetValue<int>());
            await AssertReportsAsync(expected);
        }
        Assert.Equal(expected, await CountFromScratchAsync()); // and the instances themselves did not move
    }

    /// <summary>
    /// The router counts a start that runs no effect before its instance exists (the complaint's start only starts its
    /// clock): the funnel shows the instances entered before the engine has run them, their starts run no count of their
    /// own, the same triggers again the next day (starts refused: the instances exist) take back what they recorded, and
    /// the reports equal a count from scratch throughout.
    /// </summary>
    [Fact]
    public async Task StartsTheRouterCountedShowAtOnceRunNoCountOfTheirOwnAndARefusedStartTakesItsCountBack()
    {
        var router = _host.Get<JourneyRouter>();
        var journey = _host.Get<IJourneyCatalog>().Active.Single(j => j.Id == "counted");
        var triggers = Enumerable.Range(0, 100).Select(i => new CustomerEvent($"open-{i}", "test", KnownEventTypes.ComplaintOpened, _host.Now, $"R{i:D3}",
            new JsonObject { ["customerId"] = $"R{i:D3}", ["complaintId"] = $"K{i}", ["severity"] = Severities[i % Severities.Length] })).ToList();
        foreach (var trigger in triggers)
        {
            Assert.IsType<Started>(await router.StartAsync(journey, trigger, CancellationToken.None));
        }
        Assert.Equal(triggers.Count, (await _admin.GetFromJsonAsync<JsonObject>("/api/reports/journeys/counted/funnel"))!["entered"]!.GetValue<long>());

        await _host.RunUntilIdleAsync();
        Assert.Equal(0, _host.Engine.ActivityExecutionsOf(JourneyTasks.CountFacts));
        await AssertReportsAsync(await CountFromScratchAsync());

        await _host.AdvanceAsync(TimeSpan.FromDays(1));
        foreach (var trigger in triggers)
        {
            Assert.IsType<AlreadyStarted>(await router.StartAsync(journey, trigger, CancellationToken.None));
        }
        await _host.RunUntilIdleAsync();
        await AssertReportsAsync(await CountFromScratchAsync());
    }

    [Fact]
    public async Task TheBackfillCountsInstancesTheCountersDoNotKnowOnce()
    {
        // Instances begun before the counters: their generations do not count as they go.
        var engine = _host.Get<IJourneyInstances>();
        var json = (await _host.Get<JourneyCatalog>().ReadJsonAsync("counted", 1, CancellationToken.None))!;
        var unpinned = _host.Get<ICurrentSettings>().Current with { CountsFacts = false };
        for (var i = 0; i < 40; i++)
        {
            var customer = $"B{i:D3}";
            var trigger = new CustomerEvent($"open-{i}", "test", KnownEventTypes.ComplaintOpened, _host.Now, customer,
                new JsonObject { ["customerId"] = customer, ["complaintId"] = $"K{i}", ["severity"] = Severities[i % Severities.Length] });
            var start = new StartInstance($"counted:{customer}:K{i}", $"K{i}", trigger, new JsonObject { ["customerId"] = customer }, []);
            await engine.StartAsync(JourneyTasks.Journey, start.InstanceId, new JourneyRun(json, 1, start, null, null, Pinned: unpinned), CancellationToken.None);
        }
        await _host.AdvanceAsync(TimeSpan.FromDays(3));
        Assert.Equal(0, (await _admin.GetFromJsonAsync<JsonObject>("/api/reports/journeys/counted/funnel"))!["entered"]!.GetValue<long>());

        for (var run = 0; run < 2; run++)
        {
            await _host.Get<CounterBackfill>().RunAsync(new SystemJobRun("counters", _host.Now, Manual: true), CancellationToken.None);
            await AssertReportsAsync(await CountFromScratchAsync());
        }
    }

    private async Task<CustomerEvent> SignalAsync(string instanceId, string eventId, string type)
    {
        var customer = instanceId.Split(':')[1];
        var e = new CustomerEvent(eventId, "test", type, _host.Now, customer, new JsonObject { ["customerId"] = customer, ["amount"] = 10 });
        await _host.Get<IJourneyInstances>().SignalAsync(instanceId, JourneySignal.Of(e), CancellationToken.None);
        return e;
    }

    private sealed record SlaFigures(long Started, long Met, long Breached);

    private sealed record Figures(long Entered, long Holdout, long Converted, long HoldoutConverted, long Active,
        IReadOnlyDictionary<string, long> Steps, IReadOnlyDictionary<string, long> Outcomes, IReadOnlyDictionary<string, SlaFigures> Sla)
    {
        public bool Equals(Figures? other) => other is not null && (Entered, Holdout, Converted, HoldoutConverted, Active) ==
            (other.Entered, other.Holdout, other.Converted, other.HoldoutConverted, other.Active)
            && Same(Steps, other.Steps) && Same(Outcomes, other.Outcomes) && Same(Sla, other.Sla);

        public override int GetHashCode() => HashCode.Combine(Entered, Holdout, Converted);

        private static bool Same<T>(IReadOnlyDictionary<string, T> a, IReadOnlyDictionary<string, T> b) =>
            a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && Equals(v, kv.Value));
    }

    /// <summary>Every instance read from the engine and counted here, by its state, independently of the counters.</summary>
    private async Task<Figures> CountFromScratchAsync()
    {
        var calendars = _host.Get<PinnedInterpreters>().Current.Settings.Calendars;
        var now = _host.Now;
        var states = new List<JourneyInstanceState>();
        string? token = null;
        do
        {
            var page = await _host.Get<IJourneyInstances>().QueryAsync("counted", null, 1000, token, CancellationToken.None);
            states.AddRange(page.Items.Select(i => i.State));
            token = page.ContinuationToken;
        }
        while (token is not null);
        var steps = states.SelectMany(s => s.Occurrences.Keys).GroupBy(k => k).ToDictionary(g => g.Key, g => (long)g.Count());
        var outcomes = states.Where(s => s.Status.IsFinished()).GroupBy(s => $"{s.Status.ToString().ToLowerInvariant()}/{s.Outcome}").ToDictionary(g => g.Key, g => (long)g.Count());
        // A clock is read as it stood when its instance ended (a converted customer's complaint stops counting), else now.
        var sla = states.SelectMany(s => s.Clocks.Values.Select(c => (Severity: s.Trigger["data"]!["severity"]!.GetValue<string>(), Clock: c, At: s.EndedAt ?? now)))
            .GroupBy(c => c.Severity)
            .ToDictionary(g => g.Key, g => new SlaFigures(g.Count(),
                g.Count(c => c.Clock.Stopped && c.Clock.ElapsedAt(c.At, calendars) < c.Clock.Clock.Target),
                g.Count(c => c.Clock.ElapsedAt(c.At, calendars) >= c.Clock.Clock.Target)));
        return new Figures(states.Count, states.Count(s => s.Holdout), states.Count(s => s.Converted && !s.Holdout), states.Count(s => s.Converted && s.Holdout),
            states.Count(s => !s.Status.IsFinished()), steps, outcomes, sla);
    }

    /// <summary>The reports and the journey list, through the API, against the count from scratch.</summary>
    private async Task AssertReportsAsync(Figures expected)
    {
        var funnel = (await _admin.GetFromJsonAsync<JsonObject>("/api/reports/journeys/counted/funnel"))!;
        Assert.Equal(expected.Entered, funnel["entered"]!.GetValue<long>());
        Assert.Null(funnel["truncated"]);
        var steps = funnel["steps"]!.AsArray().ToDictionary(s => s!["stepId"]!.GetValue<string>(), s => s!["entered"]!.GetValue<long>());
        Assert.Equal(expected.Steps.Where(s => s.Value > 0).OrderBy(s => s.Key), steps.Where(s => s.Value > 0).OrderBy(s => s.Key));

        var lift = (await _admin.GetFromJsonAsync<JsonObject>("/api/reports/journeys/counted/lift"))!;
        Assert.Equal((expected.Entered - expected.Holdout, expected.Converted, expected.Holdout, expected.HoldoutConverted),
            (lift["treated"]!["count"]!.GetValue<long>(), lift["treated"]!["converted"]!.GetValue<long>(),
             lift["holdout"]!["count"]!.GetValue<long>(), lift["holdout"]!["converted"]!.GetValue<long>()));
        var (p1, p0) = ((double)expected.Converted / (expected.Entered - expected.Holdout), (double)expected.HoldoutConverted / expected.Holdout);
        Assert.Equal(p1 - p0, lift["lift"]!.GetValue<double>(), 9);
        var ci = lift["ci95"]!.AsArray().Select(v => v!.GetValue<double>()).ToList();
        var margin = 1.96 * Math.Sqrt((p1 * (1 - p1) / (expected.Entered - expected.Holdout)) + (p0 * (1 - p0) / expected.Holdout));
        Assert.Equal(p1 - p0 - margin, ci[0], 9);
        Assert.Equal(p1 - p0 + margin, ci[1], 9);

        var sla = (await _admin.GetFromJsonAsync<JsonArray>("/api/reports/sla"))!
            .ToDictionary(r => r!["severity"]!.GetValue<string>(), r => new SlaFigures(r!["total"]!.GetValue<long>(), r["withinTarget"]!.GetValue<long>(), r["breached"]!.GetValue<long>()));
        Assert.Equal(expected.Sla.OrderBy(s => s.Key), sla.OrderBy(s => s.Key));

        var journey = (await _admin.GetFromJsonAsync<JsonArray>("/api/journeys"))!.Single(j => j!["id"]!.GetValue<string>() == "counted")!["counts"]!;
        Assert.Equal((expected.Entered, expected.Entered - expected.Active, expected.Converted + expected.HoldoutConverted, expected.Holdout),
            (journey["entries"]!.GetValue<long>(), journey["entries"]!.GetValue<long>() - journey["active"]!.GetValue<long>(),
             journey["converted"]!.GetValue<long>(), journey["holdout"]!.GetValue<long>()));
        var outcomes = funnel["outcomes"]!.AsArray().ToDictionary(o => $"{o!["status"]!.GetValue<string>()}/{o["outcome"]?.GetValue<string>()}", o => o!["count"]!.GetValue<long>());
        Assert.Equal(expected.Outcomes.OrderBy(o => o.Key), outcomes.OrderBy(o => o.Key));
    }
}
