using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Retention.Core.Events;
using Retention.Core.Runtime;
using Retention.Journeys;
using Retention.Storage.Journeys;
using Retention.Testing;

namespace Retention.Application.Tests;

/// <summary>
/// Publishing with "migrate" over 10,000 instances, on Azurite under virtual time (activities running side by side, as
/// a worker runs them): the publish answers 202 with the migration's progress before any instance has moved; the migration signals them a page per generation; every
/// instance moves; and no orchestration's history grows with the number of instances or carries the definition per instance.
/// <para>
/// Its pace hangs on the emulator's round-trips: enough activities run at once that the counters write the instances'
/// records in full groups, and instances start a few thousand before each idle point.
/// </para>
/// </summary>
public sealed class MigrationAtScale : IDisposable
{
    private const int Instances = 10_000;
    private const int Batch = 2_000;

    /// <summary>No generation of any orchestration stores more than this (characters of input, actions, results and events).</summary>
    private const int MaxHistory = 48 * 1024;

    private static string Journey(string waitId) => $$"""
        { "id": "moving", "trigger": { "type": "event", "event": "sale.completed" }, "entry": { "policy": "always" },
          "start": "{{waitId}}", "steps": [
            { "id": "{{waitId}}", "type": "wait", "duration": "P1D", "next": "done" },
            { "id": "done", "type": "exit", "outcome": "done" } ],
          "description": "{{new string('x', 9_000)}}" }
        """;

    private readonly RetentionFactory _host = new(virtualTime: true, [Journey("w")]) { ActivityConcurrency = 256 };
    private readonly HttpClient _admin;

    public MigrationAtScale() => _admin = _host.Admin();

    public void Dispose()
    {
        _admin.Dispose();
        _host.Dispose();
    }

    [Fact]
    public async Task EveryInstanceMovesBehindAnImmediateAnswerWithBoundedHistories()
    {
        var engine = _host.Get<IJourneyInstances>();
        var json = (await _host.Get<JourneyCatalog>().ReadJsonAsync("moving", 1, CancellationToken.None))!;
        var settings = _host.Get<ICurrentSettings>().Current;
        for (var first = 0; first < Instances; first += Batch)
        {
            for (var i = first; i < Math.Min(first + Batch, Instances); i++)
            {
                var customer = $"M{i:D5}";
                var trigger = new CustomerEvent($"sale-{i}", "test", KnownEventTypes.SaleCompleted, _host.Now, customer, new JsonObject { ["customerId"] = customer });
                var id = $"moving:{customer}";
                var start = new StartInstance(id, null, trigger, new JsonObject { ["customerId"] = customer }, []);
                Assert.True(await engine.StartAsync(JourneyTasks.Journey, id, new JourneyRun(json, 1, start, null, null, Pinned: settings), CancellationToken.None));
            }
            await _host.RunUntilIdleAsync();
        }

        using (var draft = new StringContent(Journey("w2"), Encoding.UTF8, "application/json"))
        {
            Assert.True((await _admin.PutAsync(new Uri("/api/journeys/moving/draft", UriKind.Relative), draft)).IsSuccessStatusCode);
        }
        var publish = await _admin.PostAsJsonAsync("/api/journeys/moving/publish", new JsonObject { ["inFlight"] = "migrate", ["mapping"] = new JsonObject { ["w"] = "w2" } });

        // The answer comes before the engine has run anything: nothing has moved, nothing has even been signalled.
        Assert.Equal(HttpStatusCode.Accepted, publish.StatusCode);
        var published = (await publish.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal((2, (long)Instances), (published["version"]!.GetValue<int>(), published["migrated"]!.GetValue<long>()));
        var href = published["migration"]!["href"]!.GetValue<string>();
        Assert.Equal(href, publish.Headers.Location!.OriginalString);
        var before = (await _admin.GetFromJsonAsync<JsonObject>(href))!;
        Assert.Equal((0L, 0L, true), (before["signalled"]!.GetValue<long>(), before["moved"]!.GetValue<long>(), before["signalling"]!.GetValue<bool>()));
        Assert.All(await StatesAsync(), s => Assert.Equal(1, s.Version));

        await _host.RunUntilIdleAsync();

        var after = (await _admin.GetFromJsonAsync<JsonObject>(href))!;
        Assert.Equal(((long)Instances, (long)Instances, 0L, 0L, false),
            (after["signalled"]!.GetValue<long>(), after["moved"]!.GetValue<long>(), after["ended"]!.GetValue<long>(), after["failed"]!.GetValue<long>(),
             after["signalling"]!.GetValue<bool>()));
        Assert.All(await StatesAsync(), s => Assert.Equal((2, "w2", InstanceStatus.Waiting), (s.Version, s.CurrentStepId, s.Status)));

        var migration = _host.Engine.Inspect(JourneyMigrationRun.InstanceIdOf("moving", 2))!;
        Assert.True(migration.Generation >= Instances / 200, $"the migration continued as new per page ({migration.Generation} generations)");
        var largest = _host.Engine.Instances.MaxBy(i => i.LargestHistory)!;
        Assert.True(largest.LargestHistory <= MaxHistory, $"{largest.InstanceId} has a history of {largest.LargestHistory} characters");

        await _host.AdvanceAsync(TimeSpan.FromDays(1));
        Assert.All(await StatesAsync(), s => Assert.Equal((2, InstanceStatus.Completed), (s.Version, s.Status)));
    }

    private async Task<List<JourneyInstanceState>> StatesAsync()
    {
        var states = new List<JourneyInstanceState>();
        string? token = null;
        do
        {
            var page = await _host.Get<IJourneyInstances>().QueryAsync("moving", null, 1000, token, CancellationToken.None);
            states.AddRange(page.Items.Select(i => i.State));
            token = page.ContinuationToken;
        }
        while (token is not null);
        Assert.Equal(Instances, states.Count);
        return states;
    }
}
