using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Retention.Core.Events;
using Retention.Core.Ports;
using Retention.Core.Runtime;
using Retention.Journeys;
using Retention.Testing;

namespace Retention.Engine.Tests;

/// <summary>
/// The journey orchestrator on the real Durable Task engine (DTFx on Azurite, real time, second-long waits): what the
/// in-memory engine cannot show, because it lies in the engine — timers chained past the maximum interval, early
/// firings, and <c>ContinueAsNew</c> with signals raised around it.
/// </summary>
public sealed class JourneysOnTheRealEngine : IDisposable
{
    private const string LongWait = """
        { "id": "long-wait", "trigger": { "type": "event", "event": "sale.completed" }, "entry": { "policy": "oncePerKey", "key": "trigger.data.saleId" },
          "start": "w", "steps": [
            { "id": "w", "type": "wait", "duration": "PT7S", "next": "s" },
            { "id": "s", "type": "send", "channel": "sms", "template": "t", "category": "service" } ],
          "templates": { "t": { "sms": { "en": "Seven seconds later" } } } }
        """;

    private const string Steps = """
        { "id": "many-events", "trigger": { "type": "event", "event": "sale.completed" }, "entry": { "policy": "oncePerKey", "key": "trigger.data.saleId" },
          "start": "e1", "steps": [
            { "id": "e1", "type": "waitForEvent", "event": "step.done", "filter": { "path": "event.data.n", "op": "eq", "value": "1" }, "onEvent": "e2" },
            { "id": "e2", "type": "waitForEvent", "event": "step.done", "filter": { "path": "event.data.n", "op": "eq", "value": "2" }, "onEvent": "e3" },
            { "id": "e3", "type": "waitForEvent", "event": "step.done", "filter": { "path": "event.data.n", "op": "eq", "value": "3" }, "onEvent": "e4" },
            { "id": "e4", "type": "waitForEvent", "event": "step.done", "filter": { "path": "event.data.n", "op": "eq", "value": "4" }, "onEvent": "e5" },
            { "id": "e5", "type": "waitForEvent", "event": "step.done", "filter": { "path": "event.data.n", "op": "eq", "value": "5" }, "onEvent": "e6" },
            { "id": "e6", "type": "waitForEvent", "event": "step.done", "filter": { "path": "event.data.n", "op": "eq", "value": "6" }, "onEvent": "s" },
            { "id": "s", "type": "send", "channel": "sms", "template": "t", "category": "service" } ],
          "templates": { "t": { "sms": { "en": "All six" } } } }
        """;

    // A wait, then a task whose effect finishes the instance; started directly by the tests, so no webhook starts it.
    private const string CountedTask = """
        { "id": "counted-task", "trigger": { "type": "event", "event": "count.check" },
          "start": "w", "steps": [
            { "id": "w", "type": "wait", "duration": "PT2S", "next": "t" },
            { "id": "t", "type": "task", "kind": "call", "title": "Call the customer", "assignee": { "role": "supervisor" }, "due": "P1D" } ] }
        """;

    // Timers of at most 2 s, so the 7 s wait is four chained timers; two inputs per generation, so six events span three.
    private readonly RetentionFactory _host = new(virtualTime: false, [LongWait, Steps, CountedTask], new()
    {
        ["extensions:durableTask:maximumTimerInterval"] = "00:00:02",
        ["Retention:InputsPerGeneration"] = "2",
        // A control answers 200 once the instance applied it, 202 past this wait: generous, so a busy machine still sees 200.
        ["Retention:InstanceControlWait"] = "00:02:00",
    });

    public void Dispose() => _host.Dispose();

    [Fact]
    public async Task AWaitLongerThanTheMaximumTimerIntervalCompletesOnTimeNeverEarly()
    {
        var client = _host.CreateClient();
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync(Webhooks.Customer("L1", phone: "+8613900000001"), DateTimeOffset.UtcNow)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync(Webhooks.Sale("L1", "LS1"), DateTimeOffset.UtcNow)).StatusCode);
        var instance = await Progress.UntilAsync("the instance waiting on its timer", () => DetailAsync("long-wait:L1:LS1"), d => d["pendingTimer"] is JsonObject);
        var due = instance["pendingTimer"]!["dueAt"]!.GetValue<DateTimeOffset>();

        // Progress is each chained timer firing (the instance's history and next timer) until the message goes out.
        var sent = (await Progress.UntilAsync("the message after the chained timers", async () => new JsonArray(
                await DetailAsync("long-wait:L1:LS1"), await client.GetFromJsonAsync<JsonArray>("/api/dev/outbox?customerId=L1")),
            seen => seen[1]!.AsArray().Count > 0))[1]!.AsArray().Single()!.AsObject();

        var sentAt = sent["sentAt"]!.GetValue<DateTimeOffset>();
        Assert.True(sentAt >= due, $"sent at {sentAt:O}, before its due time {due:O}");
        // The view is published once the send is done, in the step after it: wait for it.
        var done = await Progress.UntilAsync("the instance completing", () => DetailAsync("long-wait:L1:LS1"), d => d["status"]!.GetValue<string>() == "Completed");
        Assert.Single(done["history"]!.AsArray(), h => h!["kind"]!.GetValue<string>() == HistoryKinds.TimerFired);
    }

    [Fact]
    public async Task AnInstanceThatContinuesAsNewKeepsEveryEventRaisedAroundIt()
    {
        var client = _host.CreateClient();
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync(Webhooks.Customer("G1", phone: "+8613900000002"), DateTimeOffset.UtcNow)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync(Webhooks.Sale("G1", "GS1"), DateTimeOffset.UtcNow)).StatusCode);
        await Progress.UntilAsync("the instance waiting for its first event", () => DetailAsync("many-events:G1:GS1"), d => d["currentStep"]?.GetValue<string>() == "e1");

        // All six at once, in reverse order: those not yet awaited are buffered, and every generation hands its buffer on.
        var batch = new JsonArray([.. Enumerable.Range(1, 6).Reverse().Select(n => (JsonNode)Webhooks.Event("step.done",
            new JsonObject { ["customerId"] = "G1", ["n"] = n.ToString(System.Globalization.CultureInfo.InvariantCulture) }))]);
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync(batch, DateTimeOffset.UtcNow, batch: true)).StatusCode);

        var done = await Progress.UntilAsync("the six events being taken", () => DetailAsync("many-events:G1:GS1"), d => d["status"]!.GetValue<string>() == "Completed");
        Assert.True(done["generation"]!.GetValue<int>() >= 2, $"continued as new {done["generation"]} times");
        Assert.Equal(["e1", "e2", "e3", "e4", "e5", "e6"], done["history"]!.AsArray()
            .Where(h => h!["kind"]!.GetValue<string>() == HistoryKinds.EventReceived).Select(h => h!["stepId"]!.GetValue<string>()));
        Assert.Equal("All six", (await client.GetFromJsonAsync<JsonArray>("/api/dev/outbox?customerId=G1"))!.Single()!["body"]!.GetValue<string>());
    }

    [Fact]
    public async Task AnInstanceControlIsAnsweredOnceTheInstanceAppliedIt()
    {
        var client = _host.CreateClient();
        var admin = _host.Admin();
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync(Webhooks.Sale("C1", "CS1"), DateTimeOffset.UtcNow)).StatusCode);
        var id = Uri.EscapeDataString("many-events:C1:CS1");
        await Progress.UntilAsync("the instance waiting", () => DetailAsync("many-events:C1:CS1"), d => d["status"]!.GetValue<string>() == "Waiting");

        foreach (var (control, status) in new[] { ("suspend", "Suspended"), ("resume", "Waiting"), ("terminate", "Terminated") })
        {
            var response = await admin.PostAsync($"/api/instances/{id}/{control}", null);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(status, (await response.Content.ReadFromJsonAsync<JsonObject>())!["status"]!.GetValue<string>());
        }
        Assert.Equal(HttpStatusCode.Conflict, (await admin.PostAsync($"/api/instances/{id}/terminate", null)).StatusCode);
    }

    [Fact]
    public async Task AGenerationBegunBeforeFactsOrTheFinishRodeOnEffectsCompletesAsItBeganAndCountsTheSame()
    {
        // One generation pinned as instances in flight were before facts rode on effects (a CountFacts of its own after
        // each input, replayed here episode by episode by the real engine), one before the finish did (RecordFinished
        // after the task), one as new instances are pinned now (the task records the facts and the finish).
        var engine = _host.Get<IJourneyInstances>();
        var current = _host.Get<ICurrentSettings>().Current;
        Assert.True(current is { CountsFacts: true, CountsWithEffects: true, FinishesWithEffects: true });
        var ids = new List<string>();
        var customers = new[] { ("P1", current with { CountsWithEffects = false, FinishesWithEffects = false }), ("P2", current with { FinishesWithEffects = false }), ("P3", current) };
        foreach (var (customer, pinned) in customers)
        {
            var trigger = new CustomerEvent($"check-{customer}", "test", "count.check", DateTimeOffset.UtcNow, customer, new JsonObject { ["customerId"] = customer });
            var start = new StartInstance($"counted-task:{customer}", null, trigger, new JsonObject { ["customerId"] = customer }, []);
            Assert.True(await engine.StartAsync(JourneyTasks.Journey, start.InstanceId,
                new JourneyRun(null, 1, start, null, null, Pinned: pinned, JourneyId: "counted-task"), CancellationToken.None));
            ids.Add(start.InstanceId);
        }
        foreach (var id in ids)
        {
            var done = await Progress.UntilAsync($"{id} completing", () => DetailAsync(id), d => d["status"]!.GetValue<string>() is "Completed" or "Failed");
            Assert.Equal("Completed", done["status"]!.GetValue<string>());
        }

        // All counted: entered, each step, and finished; the effect and RecordFinished complete before the instance does.
        var funnel = (await _host.Admin().GetFromJsonAsync<JsonObject>("/api/reports/journeys/counted-task/funnel"))!;
        Assert.Equal(3, funnel["entered"]!.GetValue<long>());
        Assert.Equal([("t", 3L), ("w", 3L)], funnel["steps"]!.AsArray().Select(s => (s!["stepId"]!.GetValue<string>(), s["entered"]!.GetValue<long>())).OrderBy(s => s.Item1));
        var outcome = Assert.Single(funnel["outcomes"]!.AsArray())!;
        Assert.Equal(("completed", 3L), (outcome["status"]!.GetValue<string>(), outcome["count"]!.GetValue<long>()));
        // And each left its customer's routing index, so later events are not raised to it.
        var index = _host.Get<ICustomerInstanceIndex>();
        foreach (var (customer, _) in customers)
        {
            var entry = Assert.Single(await index.ListAsync(customer, activeOnly: false, CancellationToken.None));
            Assert.Equal(InstanceStatus.Completed, entry.Status);
        }
    }

    private async Task<JsonObject?> DetailAsync(string instanceId)
    {
        var response = await _host.Admin().GetAsync($"/api/instances/{Uri.EscapeDataString(instanceId)}");
        return response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<JsonObject>() : null;
    }
}
