using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Retention.Testing;

namespace Retention.Api.Tests.Programs;

/// <summary>The shipped post-sale follow-up, driven under virtual time: exact messages, tasks and times.</summary>
public sealed class PostSaleFollowUpJourney : IDisposable
{
    private static readonly DateTimeOffset Monday = RetentionFactory.Epoch; // 2026-03-02 08:00 in Shanghai
    private readonly ProgramHost _host = new("post-sale-follow-up");

    public void Dispose() => _host.Dispose();

    private static JsonObject Sale(string customerId, string saleId) =>
        new() { ["customerId"] = customerId, ["saleId"] = saleId, ["product"] = "Fund A", ["amount"] = 1000 };

    [Fact]
    public async Task ThanksNextMorningAsksAWeekLaterAndTurnsALowScoreIntoServiceRecovery()
    {
        await _host.PostAsync("customer.upserted", ProgramHost.Customer("C1", "+8613800000001"));
        await _host.PostAsync("sale.completed", Sale("C1", "S1"));

        await _host.AdvanceToAsync(Monday.AddDays(8).AddHours(2));
        var asked = await _host.MessagesAsync("C1");
        Assert.Equal(
            [
                ("thank-you", Monday.AddDays(1).AddHours(2), "Hi Ada, thank you for choosing Fund A. We are here if you need anything."),
                ("ask-satisfaction", Monday.AddDays(8).AddHours(2), "How satisfied are you with Fund A? Reply 1 (poor) to 5 (excellent)."),
            ],
            asked.Select(m => (m.StepId, m.SentAt, m.Body)));

        await _host.AdvanceToAsync(Monday.AddDays(8).AddHours(3));
        await _host.ReplyBySmsAsync("+8613800000001", "2");

        var task = Assert.Single(await _host.TasksAsync("C1"));
        Assert.Equal(("service-recovery", "am-7", Monday.AddDays(9).AddHours(3)), (task.Kind, task.AssigneeId, task.DueAt));
        var apology = (await _host.MessagesAsync("C1"))[^1];
        Assert.Equal(("apologise", Monday.AddDays(8).AddHours(3)), (apology.StepId, apology.SentAt));
        Assert.Equal("2", (await _host.CustomerAsync("C1"))["attributes"]?["satisfaction"]?.ToString());

        // No tier: the 90-day check-in message, counted in local calendar days from the answer.
        await _host.AdvanceToAsync(Monday.AddDays(8 + 90).AddHours(3));
        var checkIn = (await _host.MessagesAsync("C1"))[^1];
        Assert.Equal(("check-in", Monday.AddDays(98).AddHours(3)), (checkIn.StepId, checkIn.SentAt));
        Assert.Equal(4, (await _host.MessagesAsync("C1")).Count);
    }

    [Fact]
    public async Task NoAnswerGetsOneReminderThenATopClientGetsMonthlyVisitsUntilANewerSale()
    {
        await _host.PostAsync("customer.upserted", ProgramHost.Customer("C2", "+8613800000002"));
        await _host.PostAsync("sale.completed", Sale("C2", "S1"));
        await _host.PostAsync("customer.tier_changed", new JsonObject { ["customerId"] = "C2", ["from"] = "high", ["to"] = "top" });

        await _host.AdvanceToAsync(Monday.AddDays(14).AddHours(2));
        Assert.Equal(
            [("thank-you", Monday.AddDays(1).AddHours(2)), ("ask-satisfaction", Monday.AddDays(8).AddHours(2)), ("remind", Monday.AddDays(11).AddHours(2))],
            (await _host.MessagesAsync("C2")).Select(m => (m.StepId, m.SentAt)));
        Assert.Empty(await _host.TasksAsync("C2"));

        // Three days after the reminder the revisits start: a visit task for the owner a month later (P1M from 16 March).
        await _host.AdvanceToAsync(new DateTimeOffset(2026, 4, 16, 2, 0, 0, TimeSpan.Zero));
        var visit = Assert.Single(await _host.TasksAsync("C2"));
        Assert.Equal(("visit", "monthly-visit", "am-7", new DateTimeOffset(2026, 4, 23, 2, 0, 0, TimeSpan.Zero)), (visit.Kind, visit.StepId, visit.AssigneeId, visit.DueAt));

        await _host.PostAsync("sale.completed", Sale("C2", "S2"));
        var first = (await _host.InstancesAsync("C2")).Single(i => i["instanceId"]!.GetValue<string>().EndsWith(":S1", StringComparison.Ordinal));
        Assert.Equal(("Completed", "superseded-by-a-newer-sale"), (first["status"]!.GetValue<string>(), first["outcome"]!.GetValue<string>()));
    }

    [Fact]
    public async Task ARefundEndsItAndADoubleDeliveredSaleChangesNothing()
    {
        await _host.PostAsync("customer.upserted", ProgramHost.Customer("C3", "+8613800000003"));
        var sale = Webhooks.Event("sale.completed", Sale("C3", "S1"), id: "core-sale-1", time: _host.Now);
        await _host.PostAsync(sale);
        _host.Factory.Clock.Advance(TimeSpan.FromSeconds(1)); // a retry is signed afresh
        var again = await _host.PostAsync((JsonObject)sale.DeepClone());
        Assert.Equal(1, (await again.Content.ReadFromJsonAsync<JsonObject>())!["duplicates"]!.GetValue<int>());
        await _host.PostAsync("sale.completed", Sale("C3", "S1")); // the same sale under a new event id: still one instance

        await _host.AdvanceToAsync(Monday.AddDays(1).AddHours(2));
        Assert.Single(await _host.MessagesAsync("C3"));
        Assert.Single(await _host.InstancesAsync("C3"));

        await _host.PostAsync("sale.refunded", new JsonObject { ["customerId"] = "C3", ["saleId"] = "S1" });
        await _host.AdvanceToAsync(Monday.AddDays(30));
        Assert.Single(await _host.MessagesAsync("C3"));
        var instance = Assert.Single(await _host.InstancesAsync("C3"));
        Assert.Equal(("Exited", "exit-on:sale.refunded"), (instance["status"]!.GetValue<string>(), instance["outcome"]!.GetValue<string>()));
    }

    [Fact]
    public async Task TenOClockStaysTenOClockAcrossTheDaylightSavingChange()
    {
        // New York moves to daylight time on Sunday 8 March 2026: 10:00 is 15:00Z before and 14:00Z after.
        await _host.AdvanceToAsync(new DateTimeOffset(2026, 3, 7, 15, 0, 0, TimeSpan.Zero));
        await _host.PostAsync("customer.upserted", ProgramHost.Customer("C4", "+12125550104", timeZone: "America/New_York"));
        await _host.PostAsync("sale.completed", Sale("C4", "S1"));

        await _host.AdvanceToAsync(new DateTimeOffset(2026, 3, 15, 15, 0, 0, TimeSpan.Zero));
        Assert.Equal(
            [("thank-you", new DateTimeOffset(2026, 3, 8, 14, 0, 0, TimeSpan.Zero)), ("ask-satisfaction", new DateTimeOffset(2026, 3, 15, 14, 0, 0, TimeSpan.Zero))],
            (await _host.MessagesAsync("C4")).Select(m => (m.StepId, m.SentAt)));
    }
}
