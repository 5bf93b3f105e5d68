using System.Text.Json.Nodes;
using Retention.Application.Journeys;
using Retention.Application.Routing;
using Retention.Core.Customers;
using Retention.Core.Events;
using Retention.Core.Ports;
using Retention.Core.Runtime;
using Retention.Journeys;
using Retention.Storage.Customers;
using Retention.Storage.DevOutbox;
using Retention.Storage.Journeys;
using Retention.Storage.Routing;
using Retention.Testing;

namespace Retention.Application.Tests;

/// <summary>Publishing with in-flight instances, on Azurite under virtual time: keep, migrate (with its invariants) and end.</summary>
public sealed class PublishingWithInstancesInFlight : IDisposable
{
    private static string Journey(string waitId, string text, string extra = "") => $$"""
        { "id": "moving", "trigger": { "type": "event", "event": "sale.completed" }, "entry": { "policy": "always" },
          "start": "{{waitId}}", "steps": [
            { "id": "{{waitId}}", "type": "wait", "duration": "PT1H", "next": "s" },
            { "id": "s", "type": "send", "channel": "sms", "template": "t", "category": "service" }{{extra}} ],
          "templates": { "t": { "sms": { "en": "{{text}}" } } } }
        """;

    private readonly RetentionFactory _host = new(virtualTime: true, [Journey("w", "from version one")]);

    public PublishingWithInstancesInFlight()
    {
        _host.CreateClient();
        _host.Get<CustomerProfileStore>().ApplyAsync("M1", new ProfileMerge(new JsonObject { ["phone"] = "+8613800000001" }), _host.Now, CancellationToken.None).GetAwaiter().GetResult();
    }

    public void Dispose() => _host.Dispose();

    private async Task<string> StartAsync()
    {
        var journey = _host.Get<IJourneyCatalog>().Active.Single(j => j.Id == "moving");
        var trigger = new CustomerEvent("e1", "test", "sale.completed", _host.Now, "M1", new JsonObject { ["customerId"] = "M1" });
        var id = Assert.IsType<Started>(await _host.Get<JourneyRouter>().StartAsync(journey, trigger, CancellationToken.None)).InstanceId;
        await _host.RunUntilIdleAsync();
        return id;
    }

    private async Task<PublishOutcome> PublishAsync(string json, InFlightChoice choice, Dictionary<string, string>? mapping = null, string? outcome = null)
    {
        await _host.Get<JourneyDrafts>().SaveAsync("moving", json, "test", CancellationToken.None);
        var published = await _host.Get<JourneyPublisher>().PublishAsync("moving", new PublishRequest(choice, mapping ?? [], outcome), "test", CancellationToken.None);
        await _host.RunUntilIdleAsync(); // the migration signals each instance, which moves itself
        return published;
    }

    private async Task<JourneyInstanceState> StateAsync(string id) => (await _host.Get<IJourneyInstances>().GetAsync(id, CancellationToken.None))!.State;

    private async Task<List<string>> SentAsync() =>
        [.. (await _host.Get<DevOutboxStore>().ListAsync(null, null, null, 1000, null, CancellationToken.None)).Items.Select(m => m.Body)];

    [Fact]
    public async Task AMigratedWaitKeepsItsDeadlineAndItsTimerFiresOnceOnTheNewVersion()
    {
        var id = await StartAsync();
        var due = (await StateAsync(id)).Timer!.DueAt;
        await _host.AdvanceAsync(TimeSpan.FromMinutes(30));

        var published = Assert.IsType<Published>(await PublishAsync(Journey("w2", "from version two"), InFlightChoice.Migrate, new() { ["w"] = "w2" }));
        Assert.Equal((2, 0L, 1L, 0L), (published.Version, published.Kept, published.Migrated, published.Ended));
        var moved = await StateAsync(id);
        Assert.Equal((2, "w2", due), (moved.Version, moved.CurrentStepId, moved.Timer!.DueAt));

        await _host.AdvanceAsync(TimeSpan.FromMinutes(29));
        Assert.Empty(await SentAsync()); // the deadline did not restart, nor come early
        await _host.AdvanceAsync(TimeSpan.FromMinutes(2));
        Assert.Equal(["from version two"], await SentAsync());
        var done = await StateAsync(id);
        Assert.Equal((InstanceStatus.Completed, 2), (done.Status, done.Version));
        var history = (await _host.Get<IJourneyInstances>().GetAsync(id, CancellationToken.None))!.History;
        Assert.Single(history, h => h.Kind == HistoryKinds.TimerFired);
        Assert.Contains(history, h => h.Kind == HistoryKinds.Migrated && h.StepId == "w2");

        await _host.AdvanceAsync(TimeSpan.FromDays(1));
        Assert.Single(await SentAsync()); // no second firing, no duplicate send
    }

    [Fact]
    public async Task MappingAWaitToAnotherKindReentersItAndTheOldTimerIsStale()
    {
        var id = await StartAsync();
        var reentered = Journey("w", "from version two", """, { "id": "hello", "type": "send", "channel": "sms", "template": "t", "category": "service", "next": "w" }""")
            .Replace("\"start\": \"w\"", "\"start\": \"hello\"", StringComparison.Ordinal);
        Assert.IsType<Published>(await PublishAsync(reentered, InFlightChoice.Migrate, new() { ["w"] = "hello" }));
        await _host.RunUntilIdleAsync();
        Assert.Equal(["from version two"], await SentAsync()); // sent on re-entry, once

        var state = await StateAsync(id);
        Assert.Equal(("w", _host.Now.AddHours(1)), (state.CurrentStepId, state.Timer!.DueAt)); // v2's wait, from now
        await _host.AdvanceAsync(TimeSpan.FromHours(1)); // the v1 timer (due now) is stale; v2's fires
        Assert.Equal(["from version two", "from version two"], await SentAsync());
        Assert.Equal(InstanceStatus.Completed, (await StateAsync(id)).Status);
    }

    [Fact]
    public async Task AnUnmappedStepRefusesThePublishAndNothingIsPublished()
    {
        var id = await StartAsync();
        var refused = Assert.IsType<PublishRefused>(await PublishAsync(Journey("w2", "from version two"), InFlightChoice.Migrate, new() { ["x"] = "missing" }));
        Assert.Equal(["/mapping/w", "/mapping/x"], refused.Errors.Select(e => e.Path));
        Assert.Equal(1, _host.Get<JourneyCatalog>().Heads.Single().LatestVersion);
        Assert.NotNull(await _host.Get<JourneyDrafts>().GetAsync("moving", CancellationToken.None)); // the draft stays to be fixed
        Assert.Equal(1, (await StateAsync(id)).Version);
    }

    [Fact]
    public async Task EndingRecordsTheOutcome()
    {
        var id = await StartAsync();
        var published = Assert.IsType<Published>(await PublishAsync(Journey("w", "from version two"), InFlightChoice.End, outcome: "retired with v1"));
        Assert.Equal((0L, 0L, 1L), (published.Kept, published.Migrated, published.Ended));
        var ended = await StateAsync(id);
        Assert.Equal((InstanceStatus.Terminated, "retired with v1", 1), (ended.Status, ended.Outcome, ended.Version));
        await _host.AdvanceAsync(TimeSpan.FromHours(2));
        Assert.Empty(await SentAsync());
    }

    [Fact]
    public async Task KeepingLeavesThemOnTheirVersion()
    {
        var id = await StartAsync();
        var published = Assert.IsType<Published>(await PublishAsync(Journey("w", "from version two"), InFlightChoice.Keep));
        Assert.Equal((2, 1L, 0L, 0L), (published.Version, published.Kept, published.Migrated, published.Ended));
        await _host.AdvanceAsync(TimeSpan.FromHours(1));
        Assert.Equal(["from version one"], await SentAsync());
        Assert.Equal(1, (await StateAsync(id)).Version);
    }

    [Fact]
    public async Task SeedingPublishesAFileOnlyForAJourneyNeverPublished()
    {
        var catalog = _host.Get<JourneyCatalog>();
        Assert.IsType<Published>(await PublishAsync(Journey("w", "edited by an admin"), InFlightChoice.Keep));
        using var folder = new JourneyFolder(Journey("w", "changed in the file"), Journey("w", "new one").Replace("\"moving\"", "\"fresh\"", StringComparison.Ordinal));

        await _host.Get<JourneySeeder>().SeedAsync(folder.Path, CancellationToken.None);

        Assert.Equal(2, catalog.Heads.Single(h => h.JourneyId == "moving").LatestVersion); // the admin's edit stands
        Assert.Contains("edited by an admin", await catalog.ReadJsonAsync("moving", 2, CancellationToken.None), StringComparison.Ordinal);
        Assert.Equal(1, catalog.Heads.Single(h => h.JourneyId == "fresh").LatestVersion);
        var versions = await catalog.VersionsAsync("moving", 2, CancellationToken.None);
        Assert.Equal(["seed", "test"], versions.Select(v => v.PublishedBy));
    }
}
