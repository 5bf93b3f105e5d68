using Retention.Core.Runtime;
using Retention.Testing.Durable;

namespace Retention.Journeys.Tests;

/// <summary>
/// Where an instance's definition comes from: a new instance names its published version and the worker reads it from
/// the catalog; an instance started before that carries the definition and keeps running on it, generation after generation.
/// </summary>
public sealed class JourneyDefinitionRun
{
    private static readonly string WaitSendWaitSend = JourneyWorld.Journey("""
        { "id": "a", "type": "wait", "duration": "P1D", "next": "b" },
        { "id": "b", "type": "send", "channel": "sms", "template": "hello", "category": "service", "next": "c" },
        { "id": "c", "type": "wait", "duration": "P1D", "next": "d" },
        { "id": "d", "type": "send", "channel": "sms", "template": "bye", "category": "service", "next": "done" },
        { "id": "done", "type": "exit", "outcome": "done" }
        """);

    private static readonly DateTimeOffset T0 = JourneyWorld.T0;

    [Fact]
    public async Task AnInstanceNamingItsVersionRunsTheCatalogsDefinitionAndItsNextGenerationsNameItToo()
    {
        using var world = new JourneyWorld(inputsPerGeneration: 1);
        world.Counters.Definitions[("test-journey", 3)] = WaitSendWaitSend;
        var id = await world.StartAsync(WaitSendWaitSend, version: 3, namesVersion: true);
        Assert.DoesNotContain("\"hello\"", world.Engine.Inspect(id)!.Input, StringComparison.Ordinal);

        await world.Engine.AdvanceToAsync(T0.AddDays(1));
        var generation = world.Engine.Inspect(id)!;
        Assert.True(generation.Generation > 0, world.Why(id));
        var run = System.Text.Json.JsonSerializer.Deserialize<JourneyRun>(generation.Input!)!;
        Assert.Equal((null, "test-journey", 3), (run.Definition, run.JourneyId, run.Version));

        await world.Engine.AdvanceToAsync(T0.AddDays(3));
        Assert.Equal(["b", "d"], world.Sender.Dispatches.Select(d => d.Message.StepId));
        Assert.Equal((InstanceStatus.Completed, 3), ((await world.StateAsync(id)).Status, (await world.StateAsync(id)).Version));
    }

    [Fact]
    public async Task AnInstanceInFlightThatCarriesItsDefinitionKeepsReplayingOnItWithNoCatalogEntry()
    {
        // The catalog knows nothing of this version: the instance, started before instances named their version, runs
        // on the definition it carries, and so does each generation it continues as.
        using var world = new JourneyWorld(inputsPerGeneration: 1);
        var id = await world.StartAsync(WaitSendWaitSend, version: 2);

        await world.Engine.AdvanceToAsync(T0.AddDays(1));
        var generation = world.Engine.Inspect(id)!;
        Assert.True(generation.Generation > 0, world.Why(id));
        Assert.Equal(WaitSendWaitSend, System.Text.Json.JsonSerializer.Deserialize<JourneyRun>(generation.Input!)!.Definition);

        await world.Engine.AdvanceToAsync(T0.AddDays(3));
        Assert.Equal(["b", "d"], world.Sender.Dispatches.Select(d => d.Message.StepId));
        Assert.Equal(VirtualRuntimeStatus.Completed, world.Engine.Inspect(id)!.Status);
    }
}
