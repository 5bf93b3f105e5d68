using System.Text.Json.Nodes;
using Retention.Core.Runtime;
using Retention.Testing;

namespace Retention.Api.Tests.Programs;

/// <summary>The shipped dormant-customer reactivation under virtual time: by tier, with its holdout, goal and cooldown.</summary>
public sealed class DormantReactivationJourney : IDisposable
{
    private static readonly DateTimeOffset MondayTen = RetentionFactory.Epoch.AddHours(2); // 2026-03-02 10:00 in Shanghai
    private readonly ProgramHost _host = new("dormant-reactivation");

    public void Dispose() => _host.Dispose();

    /// <summary>Customer ids in (or out of) the journey's 10% holdout, chosen by the same stable hash the runtime uses.</summary>
    private static string Customer(string prefix, bool holdout) =>
        Enumerable.Range(0, 1000).Select(i => $"{prefix}{i}").First(id => StableHash.Bucket("dormant-reactivation", id) < 1000 == holdout);

    private async Task BecomesInactiveAsync(string customerId, string tier)
    {
        await _host.PostAsync("customer.tier_changed", new JsonObject { ["customerId"] = customerId, ["from"] = "medium", ["to"] = tier });
        await _host.PostAsync("customer.status_changed", new JsonObject { ["customerId"] = customerId, ["from"] = "active", ["to"] = "inactive" });
    }

    [Fact]
    public async Task ABaseCustomerGetsAnSmsOfferThenAnEmailAndAPaymentConverts()
    {
        var id = Customer("D", holdout: false);
        await _host.PostAsync("customer.upserted", ProgramHost.Customer(id, "+8613800000051"));
        await _host.AdvanceToAsync(MondayTen);
        await BecomesInactiveAsync(id, "base");
        await _host.AdvanceToAsync(MondayTen.AddDays(8));

        Assert.Equal([("offer-sms", "sms", MondayTen), ("offer-email", "email", MondayTen.AddDays(7))],
            (await _host.MessagesAsync(id)).Select(m => (m.StepId, m.Channel, m.SentAt)));

        await _host.PostAsync("transaction.posted", new JsonObject { ["customerId"] = id, ["transactionId"] = "T1", ["amount"] = 300 });
        var instance = Assert.Single(await _host.InstancesAsync(id));
        Assert.Equal(("Exited", "converted"), (instance["status"]!.GetValue<string>(), instance["outcome"]!.GetValue<string>()));

        // Inactive again within 90 days: the cooldown keeps them out; after it, they enter again.
        await BecomesInactiveAsync(id, "base");
        Assert.Single(await _host.InstancesAsync(id));
        await _host.AdvanceToAsync(MondayTen.AddDays(91));
        await BecomesInactiveAsync(id, "base");
        Assert.Equal(2, (await _host.InstancesAsync(id)).Count);
    }

    [Fact]
    public async Task ATopClientGetsACallTaskDueWithinTwoBusinessDays()
    {
        var id = Customer("T", holdout: false);
        await _host.PostAsync("customer.upserted", ProgramHost.Customer(id, "+8613800000052"));
        await _host.AdvanceToAsync(MondayTen);
        await BecomesInactiveAsync(id, "top");

        var task = Assert.Single(await _host.TasksAsync(id));
        Assert.Equal(("call", "am-7", new DateTimeOffset(2026, 3, 4, 18, 0, 0, TimeSpan.FromHours(8))), (task.Kind, task.AssigneeId, task.DueAt));
        Assert.Empty(await _host.MessagesAsync(id));
    }

    [Fact]
    public async Task TheHoldoutGetsNothingButItsConversionsAreCounted()
    {
        var id = Customer("H", holdout: true);
        await _host.PostAsync("customer.upserted", ProgramHost.Customer(id, "+8613800000053"));
        await _host.AdvanceToAsync(MondayTen);
        await BecomesInactiveAsync(id, "base");
        await _host.AdvanceToAsync(MondayTen.AddDays(5));
        await _host.PostAsync("transaction.posted", new JsonObject { ["customerId"] = id, ["transactionId"] = "T9", ["amount"] = 80 });

        Assert.Empty(await _host.MessagesAsync(id));
        Assert.Empty(await _host.TasksAsync(id));
        var instance = Assert.Single(await _host.InstancesAsync(id));
        Assert.Equal(("Exited", "holdout-converted"), (instance["status"]!.GetValue<string>(), instance["outcome"]!.GetValue<string>()));
    }
}
