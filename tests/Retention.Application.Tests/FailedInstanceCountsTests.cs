using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Retention.Application.Reporting;
using Retention.Application.Scheduling;
using Retention.Core.Events;
using Retention.Core.Ports;
using Retention.Core.Runtime;
using Retention.Journeys;
using Retention.Storage.Journeys;
using Retention.Testing;
using Retention.Testing.Durable;

namespace Retention.Application.Tests;

/// <summary>
/// A journey instance that fails is counted when it fails, on Azurite under virtual time: its outcome <c>failed</c>,
/// the steps it reached and its SLA clock as it stood then, with no backfill; the backfill, run twice later, moves no figure.
/// </summary>
public sealed class FailedInstanceCounts : IDisposable
{
    private const int Instances = 12;

    /// <summary>An SLA clock, then a task the task store refuses for good: the instance fails at the task.</summary>
    private const string Journey = """
        { "id": "fragile", "trigger": { "type": "event", "event": "complaint.opened" },
          "entry": { "policy": "oncePerKey", "key": "trigger.data.complaintId" },
          "clocks": { "response": { "target": { "path": "trigger.data.severity", "cases": { "critical": "PT1H" }, "default": "PT8H" } } },
          "start": "start-clock", "steps": [
            { "id": "start-clock", "type": "clock", "clock": "response", "action": "start", "next": "escalate" },
            { "id": "escalate", "type": "task", "kind": "escalation", "title": "Escalated", "assignee": { "role": "supervisor" }, "due": "PT2H", "next": "done" },
            { "id": "done", "type": "exit", "outcome": "done" } ] }
        """;

    private readonly RetentionFactory _host = new(virtualTime: true, [Journey], services: services => services.AddSingleton<ITaskSink>(new RefusingTaskSink()));
    private readonly HttpClient _admin;

    public FailedInstanceCounts() => _admin = _host.Admin();

    public void Dispose()
    {
        _admin.Dispose();
        _host.Dispose();
    }

    [Fact]
    public async Task AFailedInstanceCountsAsFailedWhenItFailsAndTheBackfillChangesNothing()
    {
        var engine = _host.Get<IJourneyInstances>();
        var json = (await _host.Get<JourneyCatalog>().ReadJsonAsync("fragile", 1, CancellationToken.None))!;
        var settings = _host.Get<ICurrentSettings>().Current;
        for (var i = 0; i < Instances; i++)
        {
            var customer = $"F{i:D3}";
            var trigger = new CustomerEvent($"open-{i}", "test", KnownEventTypes.ComplaintOpened, _host.Now, customer,
                new JsonObject { ["customerId"] = customer, ["complaintId"] = $"K{i}", ["severity"] = i % 2 == 0 ? "critical" : "normal" });
            var start = new StartInstance($"fragile:{customer}:K{i}", $"K{i}", trigger, new JsonObject { ["customerId"] = customer }, []);
            Assert.True(await engine.StartAsync(JourneyTasks.Journey, start.InstanceId, new JourneyRun(json, 1, start, null, null, Pinned: settings), CancellationToken.None));
        }
        await _host.RunUntilIdleAsync();
        Assert.All(_host.Engine.Instances, i => Assert.Equal(VirtualRuntimeStatus.Failed, i.Status));

        // Counted as it failed: no backfill has run. Time passes beyond every clock's target: a failed instance's clock
        // is read as it stood when it failed, so nothing breaches later.
        await _host.AdvanceAsync(TimeSpan.FromDays(3));
        await AssertFailedAsync();

        for (var run = 0; run < 2; run++)
        {
            var figures = await _host.Get<CounterBackfill>().RunAsync(new SystemJobRun("counters", _host.Now, Manual: true), CancellationToken.None);
            Assert.Equal(Instances, figures["instances"]!.GetValue<int>());
            await AssertFailedAsync();
        }
    }

    private async Task AssertFailedAsync()
    {
        var funnel = (await _admin.GetFromJsonAsync<JsonObject>("/api/reports/journeys/fragile/funnel"))!;
        Assert.Equal(Instances, funnel["entered"]!.GetValue<long>());
        Assert.Equal([("failed", (string?)null, (long)Instances)],
            funnel["outcomes"]!.AsArray().Select(o => (o!["status"]!.GetValue<string>(), o["outcome"]?.GetValue<string>(), o["count"]!.GetValue<long>())));
        var steps = funnel["steps"]!.AsArray().ToDictionary(s => s!["stepId"]!.GetValue<string>(), s => s!["entered"]!.GetValue<long>());
        Assert.Equal((Instances, Instances), (steps["start-clock"], steps["escalate"]));

        var journey = (await _admin.GetFromJsonAsync<JsonArray>("/api/journeys"))!.Single(j => j!["id"]!.GetValue<string>() == "fragile")!["counts"]!;
        Assert.Equal((Instances, 0L), (journey["entries"]!.GetValue<long>(), journey["active"]!.GetValue<long>()));

        var sla = (await _admin.GetFromJsonAsync<JsonArray>("/api/reports/sla"))!
            .ToDictionary(r => r!["severity"]!.GetValue<string>(), r => (r!["total"]!.GetValue<long>(), r["withinTarget"]!.GetValue<long>(), r["breached"]!.GetValue<long>()));
        Assert.Equal(((long)Instances / 2, 0L, 0L), sla["critical"]);
        Assert.Equal(((long)Instances / 2, 0L, 0L), sla["normal"]);
    }

    /// <summary>A task store that refuses every task: the edge that fails the instance.</summary>
    private sealed class RefusingTaskSink : ITaskSink
    {
        public Task CreateAsync(CreateTask task, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("The task store refuses the task.");
    }
}
