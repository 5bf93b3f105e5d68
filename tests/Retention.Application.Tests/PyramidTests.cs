using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Retention.Application.Customers;
using Retention.Application.Ingest;
using Retention.Application.Scheduling;
using Retention.Core.Customers;
using Retention.Core.Events;
using Retention.Storage.Customers;
using Retention.Storage.Ingest;
using Retention.Storage.Routing;
using Retention.Storage.Scheduling;
using Retention.Storage;
using Retention.Testing;

namespace Retention.Application.Tests;

/// <summary>Transactions into customer aggregates, and the pyramid recomputation, on Azurite under virtual time.</summary>
public sealed class CustomerPyramidOnAzurite : IDisposable
{
    // Reacts to the dormant scan, branching on the tier the customer had while active.
    private const string DormantTopClients = """
        { "id": "dormant-top", "trigger": { "type": "event", "event": "customer.status_changed",
            "filter": { "all": [ { "path": "trigger.data.to", "op": "eq", "value": "inactive" },
                                 { "path": "customer.tier", "op": "in", "value": ["top", "high"] } ] } },
          "entry": { "policy": "always" }, "start": "done", "steps": [ { "id": "done", "type": "exit", "outcome": "called" } ] }
        """;

    private readonly RetentionFactory _host = new(virtualTime: true, [DormantTopClients], new()
    {
        // Ten customers are enough to fill every band at these shares: 1 top, 2 high, 3 medium, 4 base.
        ["Retention:Pyramid:TopPercent"] = "10",
        ["Retention:Pyramid:HighPercent"] = "20",
        ["Retention:Pyramid:MediumPercent"] = "30",
    });

    public CustomerPyramidOnAzurite() => _host.CreateClient();

    public void Dispose() => _host.Dispose();

    private EventIngestor Ingestor => _host.Get<EventIngestor>();

    private PyramidRecompute Recompute => _host.Get<PyramidRecompute>();

    private static CustomerEvent Transaction(string eventId, string customerId, string transactionId, decimal amount, DateTimeOffset at, string? product = "FUND-A") =>
        new(eventId, "core", KnownEventTypes.TransactionPosted, at, customerId, new JsonObject
        {
            ["customerId"] = customerId, ["transactionId"] = transactionId, ["amount"] = amount, ["occurredAt"] = at.ToString("O"), ["productCode"] = product,
        });

    private async Task<JsonObject> SnapshotAsync(string customerId) =>
        (await _host.Get<CustomerProfileStore>().GetAsync(customerId, CancellationToken.None))!;

    private async Task<List<CustomerEvent>> EventsAsync(string customerId, string type) =>
        [.. (await _host.Get<CustomerEventLog>().SinceAsync(customerId, DateTimeOffset.MinValue, 500, CancellationToken.None)).Where(e => e.Type == type)];

    /// <summary>Customers C0..C9 with trailing revenue 100, 200 … 1000, all transacted now.</summary>
    private async Task SeedTenAsync()
    {
        for (var i = 0; i < 10; i++)
        {
            await Ingestor.AcceptAsync(Transaction($"e{i}", $"C{i}", $"T{i}", (i + 1) * 100, _host.Now), CancellationToken.None);
        }
    }

    private async Task<Dictionary<string, string>> ETagsAsync()
    {
        var table = _host.Get<StorageAccount>().Table("customers");
        var etags = new Dictionary<string, string>();
        await foreach (var row in table.QueryAsync<TableEntity>(CustomerRow.ProfileRowsFilter))
        {
            etags[row.PartitionKey] = row.ETag.ToString();
        }
        return etags;
    }

    [Fact]
    public async Task ATransactionCountsOnceWhetherRedeliveredRepeatedUnderAnotherIdOrDuplicatedConcurrently()
    {
        var t = Transaction("e1", "C1", "T1", 250, _host.Now);
        await Ingestor.AcceptAsync(t, CancellationToken.None);
        await Ingestor.AcceptAsync(t, CancellationToken.None); // a redelivery after a crash before the ingest ledger recorded it
        await Ingestor.AcceptAsync(t with { Id = "e1-again" }, CancellationToken.None); // the core system posted it twice
        await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Ingestor.AcceptAsync(t with { Id = $"dup-{i}" }, CancellationToken.None)));
        // ...while distinct transactions racing on the same customer all count.
        await Task.WhenAll(Enumerable.Range(0, 6).Select(i =>
            Ingestor.AcceptAsync(Transaction($"other-{i}", "C1", $"T-other-{i}", 10, _host.Now, $"P{i % 2}"), CancellationToken.None)));

        var customer = await SnapshotAsync("C1");
        Assert.Equal(7, customer["transactions"]!.GetValue<int>());
        Assert.Equal(310m, customer["revenue12m"]!.GetValue<decimal>());
        Assert.Equal(3, customer["products"]!.GetValue<int>()); // FUND-A, P0, P1
        Assert.Equal("active", customer["status"]!.GetValue<string>());
        Assert.Equal("T1", customer["firstTransactionId"]!.GetValue<string>());
        Assert.Equal(_host.Now, DateTimeOffset.Parse(customer["lastActivityAt"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture));

        var posted = await EventsAsync("C1", KnownEventTypes.TransactionPosted);
        Assert.Equal(7, posted.Count); // T1 once (its first event only), and the six others
        Assert.True(posted.Single(e => e.Id == "e1").Data["firstPayment"]!.GetValue<bool>());
        Assert.All(posted.Where(e => e.Id != "e1"), e => Assert.Null(e.Data["firstPayment"]));
        var moved = Assert.Single(await EventsAsync("C1", PyramidEvents.StatusChanged));
        Assert.Equal(("prospect", "active"), (moved.Data["from"]!.GetValue<string>(), moved.Data["to"]!.GetValue<string>()));
    }

    [Fact]
    public async Task RecomputePlacesEveryoneOnceAndThenWritesNothingWhenNothingChanged()
    {
        await SeedTenAsync();
        await _host.Get<CustomerProfileStore>().ApplyAsync("P1", new ProfileMerge(new JsonObject { ["name"] = "Never bought" }), _host.Now, CancellationToken.None);

        var first1At = _host.Now;
        var first = await Recompute.RecomputeAsync("pyramid@1", first1At, CancellationToken.None);
        Assert.Equal((11, 10, 0, 1), (first.Scanned, first.Active, first.Inactive, first.Prospects));
        Assert.Equal((10, 0, 10, 10), (first.Changed, first.StatusChanges, first.TierChanges, first.EventsRaised));
        Assert.Equal(new Dictionary<string, int> { ["top"] = 1, ["high"] = 2, ["medium"] = 3, ["base"] = 4 }, first.Tiers);
        Assert.Equal("top", (await SnapshotAsync("C9"))["tier"]!.GetValue<string>());
        Assert.Equal("high", (await SnapshotAsync("C7"))["tier"]!.GetValue<string>());
        Assert.Equal("base", (await SnapshotAsync("C0"))["tier"]!.GetValue<string>());
        var prospect = await SnapshotAsync("P1");
        Assert.Equal("prospect", prospect["status"]!.GetValue<string>());
        Assert.Null(prospect["tier"]);
        var tierEvent = Assert.Single(await EventsAsync("C9", PyramidEvents.TierChanged));
        Assert.Equal("pyramid@1:tier:C9", tierEvent.Id);
        Assert.Null(tierEvent.Data["from"]);
        Assert.Equal("top", tierEvent.Data["to"]!.GetValue<string>());

        var etags = await ETagsAsync();
        var steady = await Recompute.RecomputeAsync("pyramid@2", _host.Now, CancellationToken.None);
        Assert.Equal((11, 0, 0), (steady.Scanned, steady.Changed, steady.EventsRaised));
        Assert.Equal(etags, await ETagsAsync()); // not one row rewritten
        // The first occurrence again (its job message redelivered): it re-raises what it placed, as the very same events.
        var rerun = await Recompute.RecomputeAsync("pyramid@1", first1At, CancellationToken.None);
        Assert.Equal(0, rerun.Changed);
        Assert.Single(await EventsAsync("C9", PyramidEvents.TierChanged));
    }

    [Fact]
    public async Task TheNightlyScanMovesLapsedCustomersToInactiveKeepingTheirTierAndJourneysBranchOnIt()
    {
        await SeedTenAsync();
        await Recompute.RecomputeAsync("pyramid@1", _host.Now, CancellationToken.None);
        await _host.RunUntilIdleAsync();

        _host.Clock.Advance(TimeSpan.FromDays(181));
        await Ingestor.AcceptAsync(Transaction("late", "C0", "T-late", 5, _host.Now), CancellationToken.None); // C0 stays active
        var nightAt = _host.Now;
        var night = await Recompute.RecomputeAsync("pyramid@night", nightAt, CancellationToken.None);
        Assert.Equal((1, 9, 9), (night.Active, night.Inactive, night.StatusChanges));
        await _host.RunUntilIdleAsync();

        var c9 = await SnapshotAsync("C9");
        Assert.Equal(("inactive", "top"), (c9["status"]!.GetValue<string>(), c9["tier"]!.GetValue<string>()));
        var dormant = Assert.Single(await EventsAsync("C9", PyramidEvents.StatusChanged), e => e.Id.StartsWith("pyramid@", StringComparison.Ordinal));
        Assert.Equal(("active", "inactive"), (dormant.Data["from"]!.GetValue<string>(), dormant.Data["to"]!.GetValue<string>()));
        Assert.Equal("active", (await SnapshotAsync("C0"))["status"]!.GetValue<string>());

        var index = _host.Get<CustomerInstanceIndex>();
        foreach (var (customer, expected) in new[] { ("C9", 1), ("C8", 1), ("C7", 1), ("C6", 0), ("C1", 0), ("C0", 0) })
        {
            Assert.Equal(expected, (await index.ListAsync(customer, activeOnly: false, CancellationToken.None)).Count);
        }

        // The same occurrence again (a redelivered job message) raises nothing new.
        _host.Clock.Advance(TimeSpan.FromMinutes(10));
        var again = await Recompute.RecomputeAsync("pyramid@night", nightAt, CancellationToken.None);
        await _host.RunUntilIdleAsync();
        Assert.Equal(0, again.Changed);
        Assert.Single(await index.ListAsync("C9", activeOnly: false, CancellationToken.None));
        Assert.Equal(2, (await EventsAsync("C9", PyramidEvents.StatusChanged)).Count); // prospect → active at its first transaction, then the dormant scan
    }

    [Fact]
    public async Task ARerunOfAnOccurrenceInterruptedAfterItsWriteRaisesTheEventsItMissedOnce()
    {
        await SeedTenAsync();
        await Recompute.RecomputeAsync("pyramid@1", _host.Now, CancellationToken.None);
        _host.Clock.Advance(TimeSpan.FromDays(200));
        // The crashed run wrote C5's new placement, then died before raising its event.
        await _host.Get<StorageAccount>().Table("customers").UpdateEntityAsync(new TableEntity("C5", CustomerRow.ProfileRowKey)
        {
            [CustomerRow.Status] = "inactive", [CustomerRow.PlacedBy] = "pyramid@crash", [CustomerRow.PreviousStatus] = "active", [CustomerRow.PreviousTier] = "medium",
        }, Azure.ETag.All, TableUpdateMode.Merge);

        var crashAt = _host.Now;
        var rerun = await Recompute.RecomputeAsync("pyramid@crash", crashAt, CancellationToken.None);
        Assert.Equal(9, rerun.Changed); // everyone else; C5 was written already
        var missed = Assert.Single(await EventsAsync("C5", PyramidEvents.StatusChanged), e => e.Id.StartsWith("pyramid@", StringComparison.Ordinal));
        Assert.Equal("pyramid@crash:status:C5", missed.Id);
        Assert.DoesNotContain(await EventsAsync("C5", PyramidEvents.TierChanged), e => e.Id.StartsWith("pyramid@crash", StringComparison.Ordinal)); // inactive keeps medium

        await Recompute.RecomputeAsync("pyramid@crash", crashAt, CancellationToken.None);
        Assert.Single(await EventsAsync("C5", PyramidEvents.StatusChanged), e => e.Id.StartsWith("pyramid@", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RankingByProductsHeldIsAConfigurationChoice()
    {
        using var host = new RetentionFactory(virtualTime: true, [], new()
        {
            ["Retention:Pyramid:RankBy"] = "products", ["Retention:Pyramid:TopPercent"] = "10", ["Retention:Pyramid:HighPercent"] = "0", ["Retention:Pyramid:MediumPercent"] = "0",
        });
        host.CreateClient();
        var ingestor = host.Get<EventIngestor>();
        for (var i = 0; i < 10; i++)
        {
            // C0 has the most revenue in one product; C9 the least revenue spread over three.
            var products = i == 9 ? 3 : 1;
            for (var p = 0; p < products; p++)
            {
                await ingestor.AcceptAsync(Transaction($"e{i}-{p}", $"C{i}", $"T{i}-{p}", i == 0 ? 10_000 : 1, host.Now, $"P{p}"), CancellationToken.None);
            }
        }
        var result = await host.Get<PyramidRecompute>().RecomputeAsync("pyramid@p", host.Now, CancellationToken.None);
        Assert.Equal(1, result.Tiers["top"]);
        var c9 = await host.Get<CustomerProfileStore>().GetAsync("C9", CancellationToken.None);
        Assert.Equal("top", c9!["tier"]!.GetValue<string>());
    }
}

/// <summary>The <c>pyramid</c> system job on two replicas sharing one storage account, under virtual time.</summary>
public sealed class SystemJobsAcrossReplicas : IDisposable
{
    private readonly RetentionFactory _a;
    private readonly RetentionFactory _b;

    public SystemJobsAcrossReplicas()
    {
        // The shipped appsettings.json declares the job: pyramid at 02:00 Asia/Shanghai.
        _a = new RetentionFactory(virtualTime: true, []);
        _b = new RetentionFactory(virtualTime: true, [], new() { ["Retention:Storage:Prefix"] = _a.Prefix });
        _a.CreateClient();
        _b.CreateClient();
        _a.Get<EventIngestor>().AcceptAsync(new CustomerEvent("e1", "core", KnownEventTypes.TransactionPosted, _a.Now, "C1", new JsonObject
        {
            ["customerId"] = "C1", ["transactionId"] = "T1", ["amount"] = 10,
        }), CancellationToken.None).GetAwaiter().GetResult();
    }

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
    }

    private async Task TickBothAsync() =>
        await Task.WhenAll(_a.Get<Scheduler>().TickAsync(CancellationToken.None), _b.Get<Scheduler>().TickAsync(CancellationToken.None));

    [Fact]
    public async Task EachOccurrenceRunsOnceAcrossReplicasAndMissedNightsCollapseIntoOne()
    {
        await TickBothAsync(); // 08:00 CST 2 March: the 02:00 occurrence is within the first-run lookback
        await TickBothAsync();
        await _a.RunUntilIdleAsync();
        var ledger = _a.Get<ScheduleLedger>();
        var first = Assert.Single(await ledger.RunsAsync("job:pyramid", CancellationToken.None));
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 18, 0, 0, TimeSpan.Zero), first);
        var result = await ledger.LastResultAsync("job:pyramid", CancellationToken.None);
        Assert.Equal(first, result!.Occurrence);
        Assert.Equal(1, result.Figures["scanned"]!.GetValue<int>());
        Assert.Equal(1, result.Figures["changed"]!.GetValue<int>()); // C1 placed in a tier
        var placed = (await _a.Get<CustomerEventLog>().SinceAsync("C1", DateTimeOffset.MinValue, 50, CancellationToken.None))
            .Where(e => e.Type == PyramidEvents.TierChanged).ToList();
        Assert.Equal("pyramid@2026-03-01T18:00:00.0000000+00:00:tier:C1", Assert.Single(placed).Id);

        _a.Clock.Advance(TimeSpan.FromDays(3)); // both replicas down for three nights
        _b.Clock.Advance(TimeSpan.FromDays(3));
        await TickBothAsync();
        await TickBothAsync();
        await _a.RunUntilIdleAsync();
        var runs = await ledger.RunsAsync("job:pyramid", CancellationToken.None);
        Assert.Equal(2, runs.Count);
        Assert.Equal(new DateTimeOffset(2026, 3, 4, 18, 0, 0, TimeSpan.Zero), runs.Max()); // the latest missed night only
        Assert.Equal(runs.Max(), (await ledger.LastResultAsync("job:pyramid", CancellationToken.None))!.Occurrence);
    }
}
