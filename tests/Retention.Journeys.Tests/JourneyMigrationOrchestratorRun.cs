using Retention.Core.Reporting;
using Retention.Core.Runtime;
using Retention.Testing.Durable;

namespace Retention.Journeys.Tests;

/// <summary>Publishing with "migrate": the migration orchestration signals every unfinished instance onto the new version.</summary>
public sealed class JourneyMigrationOrchestratorRun
{
    private static readonly DateTimeOffset T0 = JourneyWorld.T0;

    private static readonly string V1 = JourneyWorld.Journey("""
        { "id": "a", "type": "wait", "duration": "P1D", "next": "b" },
        { "id": "b", "type": "send", "channel": "sms", "template": "hello", "category": "service" }
        """);

    private static readonly string V2 = JourneyWorld.Journey("""
        { "id": "pause", "type": "wait", "duration": "P2D", "next": "greet" },
        { "id": "greet", "type": "send", "channel": "sms", "template": "bye", "category": "service" }
        """, start: "pause");

    [Fact]
    public async Task EveryUnfinishedInstanceMovesToTheNewVersionAtTheMappedStep()
    {
        using var world = new JourneyWorld();
        var first = await world.StartAsync(V1, "C1");
        var second = await world.StartAsync(V1, "C2");
        var finishedJson = JourneyWorld.Journey("""{ "id": "a", "type": "exit", "outcome": "done" }""");
        var done = await world.StartAsync(finishedJson, "C3");
        Assert.Equal(InstanceStatus.Completed, (await world.StateAsync(done)).Status);

        // The signal names the version; each instance reads its definition.
        world.Counters.Definitions[("test-journey", 2)] = V2;
        var signal = new JourneySignal(SignalKind.Migrate, Version: 2, Mapping: new Dictionary<string, string> { ["a"] = "pause" });
        Assert.True(await world.Engine.StartAsync(JourneyTasks.JourneyMigration, "migration:test-journey:2",
            new JourneyMigrationRun("test-journey", 2, signal), CancellationToken.None));
        await world.Engine.AdvanceToAsync(T0.AddHours(1));

        var migration = world.Engine.Inspect("migration:test-journey:2")!;
        Assert.Equal((VirtualRuntimeStatus.Completed, "2"), (migration.Status, migration.Output));
        // Each instance reported its move to the migration's progress.
        var progress = await world.Counters.ReadAsync(MigrationProgress.CounterKey("test-journey.v2"), JourneyFacts.All, null, CancellationToken.None);
        Assert.Equal((2L, 2L), (progress.Where(c => c.Fact == MigrationProgress.Signalled).Sum(c => c.Count), progress.Where(c => c.Fact == MigrationProgress.Moved).Sum(c => c.Count)));
        foreach (var id in new[] { first, second })
        {
            var info = await world.InfoAsync(id);
            Assert.True((2, "pause", InstanceStatus.Waiting) == (info.State.Version, info.State.CurrentStepId, info.State.Status), world.Why(id));
            Assert.Contains(info.History, h => h.Kind == HistoryKinds.Migrated);
            // The same kind of wait keeps its deadline.
            Assert.Equal(T0.AddDays(1), info.State.Timer?.DueAt);
        }

        await world.Engine.AdvanceToAsync(T0.AddDays(3));
        Assert.Equal(2, world.Sender.Dispatches.Count);
        Assert.All(world.Sender.Dispatches, d => Assert.Equal((2, "greet", "bye", T0.AddDays(1)), (d.Message.Version, d.Message.StepId, d.Message.Template, d.At)));
        foreach (var id in new[] { first, second })
        {
            Assert.Equal((InstanceStatus.Completed, 2), ((await world.StateAsync(id)).Status, (await world.StateAsync(id)).Version));
        }
    }
}
