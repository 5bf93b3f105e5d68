using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Retention.Application.Scheduling;
using Retention.Core.Runtime;
using Retention.Storage.Scheduling;
using Retention.Testing;

namespace Retention.Api.Tests.Programs;

/// <summary>
/// Each shipped journey run twice with the same customer and events: live, on the real host under virtual time, and
/// simulated by <c>POST /api/journeys/{id}/simulate</c>. Both must send the same messages and create the same tasks at
/// the same times, and end the same way.
/// </summary>
public sealed class SimulationMatchesLiveRun
{
    private static readonly DateTimeOffset MondayTen = RetentionFactory.Epoch.AddHours(2); // 2026-03-02 10:00 in Shanghai

    /// <summary>An event of the scenario; <c>sms.received</c> arrives live as an inbound SMS from the customer's phone.</summary>
    private sealed record TimedEvent(DateTimeOffset At, string Type, JsonObject Data);

    /// <param name="Before">Posted live before the simulation is asked for: the stored customer it starts from.</param>
    /// <param name="Trigger">Null for a schedule-triggered journey: the scheduler starts it live, the simulation by default.</param>
    private sealed record Scenario(string Journey, string CustomerId, IReadOnlyList<TimedEvent> Before, DateTimeOffset Start, TimedEvent? Trigger,
        IReadOnlyList<TimedEvent> Events, int Days);

    private static JsonObject Data(string customerId, params (string Key, JsonNode? Value)[] fields)
    {
        var data = new JsonObject { ["customerId"] = customerId };
        foreach (var (key, value) in fields)
        {
            data[key] = value;
        }
        return data;
    }

    private static TimedEvent Upserted(string customerId, string phone, DateTimeOffset at, string? birthday = null) =>
        new(at, "customer.upserted", ProgramHost.Customer(customerId, phone, birthday: birthday));

    private static string NotHeldOut(string prefix, string journey) =>
        Enumerable.Range(0, 1000).Select(i => $"{prefix}{i}").First(id => StableHash.Bucket(journey, id) >= 1000);

    [Fact]
    public Task PostSaleFollowUpWithALowScore() => AgreeAsync(new Scenario("post-sale-follow-up", "PS1",
        [Upserted("PS1", "+8613800000101", RetentionFactory.Epoch)], MondayTen,
        new TimedEvent(MondayTen, "sale.completed", Data("PS1", ("saleId", "S1"), ("product", "Fund A"), ("amount", 1000))),
        [new TimedEvent(MondayTen.AddDays(8).AddHours(1), "sms.received", Data("PS1", ("from", "+8613800000101"), ("to", "+8610000"), ("message", "2")))],
        Days: 100));

    [Fact]
    public Task PostSaleFollowUpForATopClientWhoNeverAnswers() => AgreeAsync(new Scenario("post-sale-follow-up", "PS2",
        [Upserted("PS2", "+8613800000102", RetentionFactory.Epoch)], MondayTen,
        new TimedEvent(MondayTen, "sale.completed", Data("PS2", ("saleId", "S1"), ("product", "Fund A"), ("amount", 1000))),
        [new TimedEvent(MondayTen.AddHours(1), "customer.tier_changed", Data("PS2", ("from", "high"), ("to", "top")))],
        Days: 75));

    [Fact]
    public Task DormantReactivationOfABaseCustomerWhoPaysAgain()
    {
        var id = NotHeldOut("DR", "dormant-reactivation");
        return AgreeAsync(new Scenario("dormant-reactivation", id,
            [Upserted(id, "+8613800000103", RetentionFactory.Epoch), new TimedEvent(RetentionFactory.Epoch, "customer.tier_changed", Data(id, ("from", "medium"), ("to", "base")))],
            MondayTen, new TimedEvent(MondayTen, "customer.status_changed", Data(id, ("from", "active"), ("to", "inactive"))),
            [new TimedEvent(MondayTen.AddDays(9), "transaction.posted", Data(id, ("transactionId", "T1"), ("amount", 300), ("currency", "CNY")))],
            Days: 40));
    }

    [Fact]
    public Task DormantReactivationOfATopClient()
    {
        var id = NotHeldOut("DT", "dormant-reactivation");
        return AgreeAsync(new Scenario("dormant-reactivation", id,
            [Upserted(id, "+8613800000104", RetentionFactory.Epoch), new TimedEvent(RetentionFactory.Epoch, "customer.tier_changed", Data(id, ("from", "medium"), ("to", "top")))],
            MondayTen, new TimedEvent(MondayTen, "customer.status_changed", Data(id, ("from", "active"), ("to", "inactive"))), [], Days: 40));
    }

    [Fact]
    public Task ComplaintResolutionPausedForTheCustomerAndResolvedLate() => AgreeAsync(new Scenario("complaint-resolution", "CR1",
        [Upserted("CR1", "+8613800000105", RetentionFactory.Epoch)], MondayTen,
        new TimedEvent(MondayTen, "complaint.opened", Data("CR1", ("complaintId", "CP1"), ("severity", "high"), ("category", "fees"), ("ownerId", "agent-3"))),
        [
            new TimedEvent(MondayTen.AddHours(3), "complaint.status_changed", Data("CR1", ("complaintId", "CP1"), ("status", "pending_customer"))),
            new TimedEvent(MondayTen.AddDays(1), "complaint.status_changed", Data("CR1", ("complaintId", "CP1"), ("status", "in_progress"))),
            new TimedEvent(MondayTen.AddDays(4), "complaint.resolved", Data("CR1", ("complaintId", "CP1"))),
        ],
        Days: 10));

    [Fact]
    public Task ComplaintFirstResponseEscalatedThenAnswered() => AgreeAsync(new Scenario("complaint-first-response", "CF1",
        [Upserted("CF1", "+8613800000106", RetentionFactory.Epoch)], MondayTen,
        new TimedEvent(MondayTen, "complaint.opened", Data("CF1", ("complaintId", "CP2"), ("severity", "critical"), ("ownerId", "agent-3"))),
        [new TimedEvent(MondayTen.AddHours(5), "complaint.responded", Data("CF1", ("complaintId", "CP2")))],
        Days: 5));

    [Fact]
    public Task BirthdayGreetingsOverTwoYears() => AgreeAsync(new Scenario("birthday-greeting", "BG1",
        [Upserted("BG1", "+8613800000107", RetentionFactory.Epoch)], MondayTen,
        Upserted("BG1", "+8613800000107", MondayTen, birthday: "1990-03-10"), [], Days: 400));

    [Fact]
    public Task HolidayGreetingOnTheSpringFestival()
    {
        var occurrence = new DateTimeOffset(2027, 2, 6, 0, 5, 0, TimeSpan.FromHours(8)); // the schedule's 00:05 run in Shanghai
        return AgreeAsync(new Scenario("holiday-greetings", "HG1", [Upserted("HG1", "+8613800000108", RetentionFactory.Epoch)], occurrence, null, [], Days: 2));
    }

    [Fact]
    public Task ReferralFirstPaymentTellsTheReferrer() => AgreeAsync(new Scenario("referral-first-payment", "RF1",
        [Upserted("RF1", "+8613800000109", RetentionFactory.Epoch)], MondayTen,
        new TimedEvent(MondayTen, "referral.registered", Data("RF1", ("referrerId", "RR1"), ("referralId", "REF1"))),
        [new TimedEvent(MondayTen.AddDays(2), "transaction.posted", Data("RF1", ("transactionId", "T9"), ("amount", 2500), ("currency", "CNY")))],
        Days: 30));

    [Fact]
    public Task ReferralRewardAnnouncesTheVoucher() => AgreeAsync(new Scenario("referral-reward", "RR2",
        [Upserted("RR2", "+8613800000110", RetentionFactory.Epoch)], MondayTen,
        new TimedEvent(MondayTen, "referral.paid", Data("RR2", ("referralId", "REF2"), ("referredCustomerId", "RF2"), ("amount", 2500), ("transactionId", "T8"))),
        [], Days: 3));

    [Fact]
    public async Task CapsInASimulationCountTheCustomersRealMessagesFromOtherInstances()
    {
        const string offer = """
            { "id": "offer", "trigger": { "type": "event", "event": "sale.completed" }, "entry": { "policy": "oncePerKey", "key": "trigger.data.saleId" },
              "start": "send", "steps": [ { "id": "send", "type": "send", "channel": "sms", "template": "offer", "category": "marketing" } ],
              "templates": { "offer": { "sms": { "en": "A new fund for you, {{ customer.name }}" } } } }
            """;
        using var factory = new RetentionFactory(virtualTime: true, [offer]);
        using var client = factory.CreateClient();
        using var admin = factory.Admin();
        async Task PostAsync(string type, JsonObject data)
        {
            Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync(Webhooks.Event(type, data, time: factory.Now), factory.Now)).StatusCode);
            await factory.RunUntilIdleAsync();
        }
        await PostAsync("customer.upserted", ProgramHost.Customer("CAP1", "+8613800000111"));
        await PostAsync("sale.completed", Data("CAP1", ("saleId", "S1")));
        await PostAsync("sale.completed", Data("CAP1", ("saleId", "S2"))); // two marketing messages: the cap of 2 a week is reached

        factory.Clock.Advance(TimeSpan.FromHours(2));
        var response = await admin.PostAsJsonAsync("/api/journeys/offer/simulate", new JsonObject
        {
            ["customerId"] = "CAP1", ["start"] = factory.Now.ToString("O", CultureInfo.InvariantCulture),
            ["trigger"] = new JsonObject { ["type"] = "sale.completed", ["data"] = Data("CAP1", ("saleId", "S3")) }, ["until"] = "P10D",
        });
        var simulated = (await response.Content.ReadFromJsonAsync<JsonObject>())!["timeline"]!.AsArray()
            .Where(e => Text(e!.AsObject(), "kind") == "message").Select(e => (Text(e!["detail"]!.AsObject(), "status"), e!["at"]!.GetValue<DateTimeOffset>())).ToList();

        await PostAsync("sale.completed", Data("CAP1", ("saleId", "S3")));
        await factory.Engine.AdvanceToAsync(factory.Now.AddDays(10));
        var sent = (await admin.GetFromJsonAsync<JsonArray>("/api/dev/outbox?customerId=CAP1"))!.Select(m => m!["sentAt"]!.GetValue<DateTimeOffset>()).Order().ToList();

        Assert.Equal([("deferred", RetentionFactory.Epoch.AddHours(2)), ("sent", RetentionFactory.Epoch.AddDays(7))], simulated);
        Assert.Equal([RetentionFactory.Epoch, RetentionFactory.Epoch, RetentionFactory.Epoch.AddDays(7)], sent);
    }

    private static async Task AgreeAsync(Scenario scenario)
    {
        using var host = new ProgramHost(scenario.Journey);
        foreach (var e in scenario.Before)
        {
            await host.AdvanceToAsync(e.At);
            await host.PostAsync(e.Type, e.Data);
        }
        await host.AdvanceToAsync(scenario.Start);
        var simulated = await SimulateAsync(host, scenario);

        if (scenario.Trigger is { } trigger)
        {
            await host.PostAsync(trigger.Type, trigger.Data);
        }
        else
        {
            await host.Factory.Get<Scheduler>().TickAsync(CancellationToken.None);
            await host.Factory.RunUntilIdleAsync();
        }
        foreach (var e in scenario.Events)
        {
            await host.AdvanceToAsync(e.At);
            if (e.Type == "sms.received")
            {
                await host.ReplyBySmsAsync(e.Data["from"]!.GetValue<string>(), e.Data["message"]!.GetValue<string>());
            }
            else
            {
                await host.PostAsync(e.Type, e.Data);
            }
        }
        await host.AdvanceToAsync(scenario.Start.AddDays(scenario.Days));

        var timeline = simulated["timeline"]!.AsArray().Select(e => e!.AsObject()).ToList();
        var liveMessages = (await host.MessagesAsync(scenario.CustomerId)).Where(m => m.JourneyId == scenario.Journey)
            .Select(m => (m.StepId, m.Channel, m.Body, m.SentAt)).OrderBy(m => m.SentAt).ThenBy(m => m.StepId, StringComparer.Ordinal).ToList();
        var simulatedMessages = timeline.Where(e => Text(e, "kind") == "message" && Text(e["detail"]!.AsObject(), "status") == "sent")
            .Select(e => (Text(e, "stepId")!, Text(e["detail"]!.AsObject(), "channel")!, Text(e["detail"]!.AsObject(), "body")!, e["at"]!.GetValue<DateTimeOffset>()))
            .OrderBy(m => m.Item4).ThenBy(m => m.Item1, StringComparer.Ordinal).ToList();
        Assert.Equal(liveMessages, simulatedMessages);

        var liveTasks = (await host.TasksAsync(scenario.CustomerId)).Where(t => t.JourneyId == scenario.Journey)
            .Select(t => (t.StepId, t.Kind, t.Assignee, t.DueAt, t.CreatedAt)).OrderBy(t => t.CreatedAt).ThenBy(t => t.StepId, StringComparer.Ordinal).ToList();
        var simulatedTasks = timeline.Where(e => Text(e, "kind") == "task")
            .Select(e => (Text(e, "stepId")!, Text(e["detail"]!.AsObject(), "kind")!, Text(e["detail"]!.AsObject(), "assignee")!,
                e["detail"]!["dueAt"]!.GetValue<DateTimeOffset>(), e["at"]!.GetValue<DateTimeOffset>()))
            .OrderBy(t => t.Item5).ThenBy(t => t.Item1, StringComparer.Ordinal).ToList();
        Assert.Equal(liveTasks, simulatedTasks);

        var instance = Assert.Single(await host.InstancesAsync(scenario.CustomerId), i => Text(i, "journeyId") == scenario.Journey);
        var status = Enum.Parse<InstanceStatus>(Text(instance, "status")!);
        Assert.Equal(status.IsFinished() ? Text(instance, "outcome") : status.ToString().ToLowerInvariant(), Text(simulated, "outcome"));
        Assert.True(liveMessages.Count + liveTasks.Count > 0 || status.IsFinished(), "the scenario should reach a message, a task or the end");
    }

    /// <summary>Asks the simulate endpoint, for the stored customer, what the scenario does.</summary>
    private static async Task<JsonObject> SimulateAsync(ProgramHost host, Scenario scenario)
    {
        var body = new JsonObject
        {
            ["source"] = "active",
            ["customerId"] = scenario.CustomerId,
            ["start"] = scenario.Start.ToString("O", CultureInfo.InvariantCulture),
            ["events"] = new JsonArray([.. scenario.Events.Select(e => new JsonObject
            {
                ["at"] = e.At.ToString("O", CultureInfo.InvariantCulture), ["type"] = e.Type, ["data"] = e.Data.DeepClone(),
            })]),
            ["until"] = $"P{scenario.Days}D",
        };
        if (scenario.Trigger is { } trigger)
        {
            body["trigger"] = new JsonObject { ["type"] = trigger.Type, ["data"] = trigger.Data.DeepClone() };
        }
        var response = await host.Admin.PostAsJsonAsync($"/api/journeys/{scenario.Journey}/simulate", body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    private static string? Text(JsonObject obj, string field) => obj[field] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}
