using Retention.Core.Runtime;
using Retention.Testing.Durable;

namespace Retention.Journeys.Tests;

/// <summary>The engine as the product's client: starting once, listing by journey and status, retries and failures.</summary>
public sealed class VirtualEngineClient
{
    private static readonly string SendThenWait = JourneyWorld.Journey("""
        { "id": "a", "type": "send", "channel": "sms", "template": "hello", "category": "service", "next": "b" },
        { "id": "b", "type": "waitForEvent", "event": "sms.received", "onEvent": "c" },
        { "id": "c", "type": "exit", "outcome": "replied" }
        """);

    [Fact]
    public async Task AFailingEffectIsRetriedByItsPolicyThenFailsTheInstanceVisibly()
    {
        using var world = new JourneyWorld();
        world.Sender.FailuresLeft = 3;
        var recovered = await world.StartAsync(SendThenWait, "C1");
        Assert.Equal(4, world.Engine.ActivityExecutionsOf(JourneyTasks.SendMessage));
        Assert.True((await world.StateAsync(recovered)).Status == InstanceStatus.Waiting, world.Why(recovered));

        world.Sender.FailuresLeft = 100;
        var failed = await world.StartAsync(SendThenWait, "C2");
        var attempts = new JourneyOrchestrationOptions().EffectRetry.Retry!.Policy!.MaxNumberOfAttempts;
        Assert.Equal(4 + attempts, world.Engine.ActivityExecutionsOf(JourneyTasks.SendMessage));
        var state = await world.StateAsync(failed);
        Assert.Equal(InstanceStatus.Failed, state.Status);
        Assert.Contains("the provider is unreachable", state.Outcome, StringComparison.Ordinal);
        Assert.Equal(VirtualRuntimeStatus.Failed, world.Engine.Inspect(failed)!.Status);
    }

    [Fact]
    public async Task AnIdStartsOnceAndListsPageByPageByJourneyAndStatus()
    {
        using var world = new JourneyWorld();
        var ids = new List<string>();
        foreach (var customer in new[] { "C1", "C2", "C3" })
        {
            ids.Add(await world.StartAsync(SendThenWait, customer));
        }
        Assert.False(await world.Engine.StartAsync(JourneyTasks.Journey, ids[0], "anything", CancellationToken.None));
        await world.RaiseAsync(ids[1], "sms.received");
        await world.Engine.RunUntilIdleAsync();

        var seen = new List<string>();
        string? token = null;
        do
        {
            var page = await world.Engine.QueryAsync("test-journey", InstanceStatus.Waiting, 1, token, CancellationToken.None);
            Assert.True(page.Items.Count <= 1);
            seen.AddRange(page.Items.Select(i => i.State.InstanceId));
            token = page.ContinuationToken;
        }
        while (token is not null);
        Assert.Equal(new[] { ids[0], ids[2] }.Order(StringComparer.Ordinal), seen);
        Assert.Empty((await world.Engine.QueryAsync("other-journey", null, 10, null, CancellationToken.None)).Items);
        // The delivery and migration orchestrations are not journey instances.
        Assert.All((await world.Engine.QueryAsync(null, null, 100, null, CancellationToken.None)).Items, i => Assert.StartsWith("test-journey:", i.State.InstanceId, StringComparison.Ordinal));

        Assert.False(await world.Engine.PurgeAsync(ids[0], CancellationToken.None)); // still running
        Assert.True(await world.Engine.PurgeAsync(ids[1], CancellationToken.None)); // replied: completed
        Assert.Null(await world.Engine.GetAsync(ids[1], CancellationToken.None));
    }

    [Fact]
    public async Task AnInstanceWithNoViewYetReadsAsPendingFromItsId()
    {
        using var world = new JourneyWorld();
        var id = await world.EnterAsync(SendThenWait, "C9");
        var state = await world.StateAsync(id);
        Assert.Equal((InstanceStatus.Pending, "test-journey", "C9", id), (state.Status, state.JourneyId, state.CustomerId, state.InstanceId));
        await world.Engine.RunUntilIdleAsync();
        Assert.Equal(InstanceStatus.Waiting, (await world.StateAsync(id)).Status);
    }
}
