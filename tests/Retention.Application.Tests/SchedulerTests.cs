using System.Text.Json.Nodes;
using Retention.Application.Scheduling;
using Retention.Core.Customers;
using Retention.Storage.Customers;
using Retention.Storage.Routing;
using Retention.Storage.Scheduling;
using Retention.Testing;

namespace Retention.Application.Tests;

/// <summary>Cron schedules on two replicas sharing one storage account, under virtual time.</summary>
public sealed class SchedulerAcrossReplicas : IDisposable
{
    private const string NightlyTopClients = """
        { "id": "nightly-top", "trigger": { "type": "schedule", "cron": "0 2 * * *", "timeZone": "Asia/Shanghai",
            "customers": { "path": "customer.tier", "op": "eq", "value": "top" } },
          "entry": { "policy": "always" }, "start": "done", "steps": [ { "id": "done", "type": "exit", "outcome": "visited" } ] }
        """;

    private readonly RetentionFactory _a;
    private readonly RetentionFactory _b;

    public SchedulerAcrossReplicas()
    {
        _a = new RetentionFactory(virtualTime: true, [NightlyTopClients]);
        _b = new RetentionFactory(virtualTime: true, [NightlyTopClients], new() { ["Retention:Storage:Prefix"] = _a.Prefix });
        _a.CreateClient();
        _b.CreateClient();
        var profiles = _a.Get<CustomerProfileStore>();
        profiles.ApplyAsync("TOP1", new ProfileMerge(new JsonObject { ["tier"] = "top" }), _a.Now, CancellationToken.None).GetAwaiter().GetResult();
        profiles.ApplyAsync("BASE1", new ProfileMerge(new JsonObject { ["tier"] = "base" }), _a.Now, CancellationToken.None).GetAwaiter().GetResult();
    }

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
    }

    private async Task TickBothAsync() =>
        await Task.WhenAll(_a.Get<Scheduler>().TickAsync(CancellationToken.None), _b.Get<Scheduler>().TickAsync(CancellationToken.None));

    private async Task AdvanceBothAsync(TimeSpan by)
    {
        _a.Clock.Advance(by);
        _b.Clock.Advance(by);
        await TickBothAsync();
        await _a.RunUntilIdleAsync();
    }

    [Fact]
    public async Task EachOccurrenceRunsOnceAndStartsOnlyTheSelectedCustomers()
    {
        await TickBothAsync(); // 08:00 CST 2 March: the 02:00 occurrence is within the first-run lookback
        await _a.RunUntilIdleAsync();

        var ledger = _a.Get<ScheduleLedger>();
        Assert.Single(await ledger.RunsAsync("journey:nightly-top", CancellationToken.None));
        var index = _a.Get<CustomerInstanceIndex>();
        Assert.Single(await index.ListAsync("TOP1", activeOnly: false, CancellationToken.None));
        Assert.Empty(await index.ListAsync("BASE1", activeOnly: false, CancellationToken.None));

        await AdvanceBothAsync(TimeSpan.FromDays(1));
        Assert.Equal(2, (await ledger.RunsAsync("journey:nightly-top", CancellationToken.None)).Count);
        Assert.Equal(2, (await index.ListAsync("TOP1", activeOnly: false, CancellationToken.None)).Count);
    }

    [Fact]
    public async Task OccurrencesMissedWhileDownRunOnceOnTheNextTick()
    {
        await TickBothAsync();
        _a.Clock.Advance(TimeSpan.FromDays(3)); // both replicas down for three nights
        _b.Clock.Advance(TimeSpan.FromDays(3));
        await TickBothAsync();
        await TickBothAsync();
        await _a.RunUntilIdleAsync();

        var runs = await _a.Get<ScheduleLedger>().RunsAsync("journey:nightly-top", CancellationToken.None);
        Assert.Equal(2, runs.Count);
        Assert.Equal(new DateTimeOffset(2026, 3, 4, 18, 0, 0, TimeSpan.Zero), runs.Max()); // 02:00 CST 5 March, the latest missed
    }
}
