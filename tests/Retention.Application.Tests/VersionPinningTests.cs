using System.Text.Json.Nodes;
using Retention.Application.Routing;
using Retention.Core.Customers;
using Retention.Core.Definitions;
using Retention.Core.Events;
using Retention.Core.Ports;
using Retention.Journeys;
using Retention.Storage.Customers;
using Retention.Storage.DevOutbox;
using Retention.Storage.Journeys;
using Retention.Storage.Routing;
using Retention.Testing;

namespace Retention.Application.Tests;

/// <summary>Invariant 6: an instance keeps the journey version it started on; publishing a new one never changes it.</summary>
public sealed class PublishingANewVersion : IDisposable
{
    private static string Version(string text, string wait) => $$"""
        { "id": "pinned", "trigger": { "type": "event", "event": "sale.completed" }, "entry": { "policy": "always" },
          "start": "w", "steps": [
            { "id": "w", "type": "wait", "duration": "{{wait}}", "next": "s" },
            { "id": "s", "type": "send", "channel": "sms", "template": "t", "category": "service" } ],
          "templates": { "t": { "sms": { "en": "{{text}}" } } } }
        """;

    private readonly RetentionFactory _host = new(virtualTime: true, [Version("from version one", "PT1H")]);

    public PublishingANewVersion()
    {
        _host.CreateClient();
        _host.Get<CustomerProfileStore>().ApplyAsync("P1", new ProfileMerge(new JsonObject { ["phone"] = "+8613800000001" }), _host.Now, CancellationToken.None).GetAwaiter().GetResult();
    }

    public void Dispose() => _host.Dispose();

    private async Task<string> StartAsync(string eventId)
    {
        var journey = _host.Get<IJourneyCatalog>().Active.Single(j => j.Id == "pinned");
        var trigger = new CustomerEvent(eventId, "test", "sale.completed", _host.Now, "P1", new JsonObject { ["customerId"] = "P1" });
        return Assert.IsType<Started>(await _host.Get<JourneyRouter>().StartAsync(journey, trigger, CancellationToken.None)).InstanceId;
    }

    [Fact]
    public async Task AnInstanceFinishesOnTheVersionItStartedOn()
    {
        var onOne = await StartAsync("e1");
        var json = Version("from version two", "P2D");
        var published = await _host.Get<JourneyCatalog>().PublishAsync(_host.Get<JourneyDefinitionReader>().Read(json).Definition!, json, CancellationToken.None);
        Assert.Equal(2, published.Version);
        var onTwo = await StartAsync("e2");

        await _host.AdvanceAsync(TimeSpan.FromHours(1));

        var instances = _host.Get<IJourneyInstances>();
        Assert.Equal(1, (await instances.GetAsync(onOne, CancellationToken.None))!.State.Version);
        Assert.Equal(2, (await instances.GetAsync(onTwo, CancellationToken.None))!.State.Version);
        var sent = (await _host.Get<DevOutboxStore>().ListAsync(null, null, null, 1000, null, CancellationToken.None)).Items;
        Assert.Equal("from version one", Assert.Single(sent).Body); // v1's one-hour wait and text; v2 waits two days
    }
}
