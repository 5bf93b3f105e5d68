using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Retention.Core.Events;
using Retention.Core.Runtime;
using Retention.Testing.Durable;

namespace Retention.Journeys.Tests;

/// <summary>
/// The virtual engine replays every generation from its history, as the real engine replays each episode, so an
/// orchestrator that decides differently on replay fails here as it would there; and the journey orchestrator's
/// replays do not depend on what is configured when they run.
/// </summary>
public sealed class ReplayRun
{
    private static readonly DateTimeOffset T0 = JourneyWorld.T0;

    [Fact]
    public async Task AnOrchestratorThatSchedulesSomethingElseOnReplayFails()
    {
        var (engine, _) = Engine(_ => new BranchesOnReplay());
        Assert.True(await engine.StartAsync("test", "i1", "x", CancellationToken.None));
        await engine.RunUntilIdleAsync();

        var instance = engine.Inspect("i1")!;
        Assert.Equal(VirtualRuntimeStatus.Failed, instance.Status);
        Assert.Contains("non-deterministic", instance.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("timer at", instance.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnOrchestratorThatReadsASettingChangedSinceItsLastEpisodeFails()
    {
        var setting = new LiveSetting();
        var (engine, clock) = Engine(_ => new ReadsALiveSetting(setting));
        Assert.True(await engine.StartAsync("test", "i1", "x", CancellationToken.None));
        await engine.RunUntilIdleAsync();
        Assert.Equal(VirtualRuntimeStatus.Running, engine.Inspect("i1")!.Status);

        setting.Wait = TimeSpan.FromHours(2); // a "deployment" between two episodes
        await engine.AdvanceToAsync(clock.GetUtcNow().AddHours(1));

        var instance = engine.Inspect("i1")!;
        Assert.Equal(VirtualRuntimeStatus.Failed, instance.Status);
        Assert.Contains("non-deterministic", instance.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ADeterministicOrchestratorReplaysCleanlyToTheEnd()
    {
        var setting = new LiveSetting();
        var (engine, clock) = Engine(_ => new ReadsALiveSetting(setting));
        Assert.True(await engine.StartAsync("test", "i1", "x", CancellationToken.None));
        await engine.AdvanceToAsync(clock.GetUtcNow().AddHours(3));

        var instance = engine.Inspect("i1")!;
        Assert.True(instance.Status == VirtualRuntimeStatus.Completed, instance.FailureMessage);
    }

    [Fact]
    public async Task AGenerationKeepsItsInputsPerGenerationWhenTheSettingChanges()
    {
        var json = JourneyWorld.Journey("""
            { "id": "a", "type": "waitForEvent", "event": "sms.received", "onEvent": "b" },
            { "id": "b", "type": "waitForEvent", "event": "sms.received", "onEvent": "c" },
            { "id": "c", "type": "waitForEvent", "event": "sms.received", "onEvent": "d" },
            { "id": "d", "type": "waitForEvent", "event": "sms.received", "onEvent": "e" },
            { "id": "e", "type": "exit", "outcome": "done" }
            """);
        using var world = new JourneyWorld(inputsPerGeneration: 3);
        var id = await world.StartAsync(json);
        await world.RaiseAsync(id, KnownEventTypes.SmsReceived);
        await world.Engine.RunUntilIdleAsync();

        // A deployment: one input per generation from now on. The running generation keeps its own boundary of three.
        world.Settings.Current = world.Settings.Current with { InputsPerGeneration = 1 };
        await world.RaiseAsync(id, KnownEventTypes.SmsReceived);
        await world.Engine.RunUntilIdleAsync();
        Assert.True(world.Engine.Inspect(id) is { Status: VirtualRuntimeStatus.Running, Generation: 2 }, world.Why(id));

        // The next generation pinned the new value: it applies one input, and its successor the last.
        await world.RaiseAsync(id, KnownEventTypes.SmsReceived);
        await world.Engine.RunUntilIdleAsync();
        await world.RaiseAsync(id, KnownEventTypes.SmsReceived);
        await world.Engine.RunUntilIdleAsync();

        var state = await world.StateAsync(id);
        Assert.True((InstanceStatus.Completed, "done") == (state.Status, state.Outcome), world.Why(id));
        Assert.Equal(3, world.Engine.Inspect(id)!.Generation);
    }

    private static (VirtualDurableEngine Engine, FakeTimeProvider Clock) Engine(Func<IServiceProvider, ITaskOrchestrator> orchestrator)
    {
        var clock = new FakeTimeProvider(T0);
        var services = new ServiceCollection().BuildServiceProvider();
        var engine = new VirtualDurableEngine(services, clock)
        {
            Orchestrators = new Dictionary<string, Func<IServiceProvider, ITaskOrchestrator>>(StringComparer.Ordinal) { ["test"] = orchestrator },
        };
        return (engine, clock);
    }

    private sealed class LiveSetting
    {
        public TimeSpan Wait { get; set; } = TimeSpan.FromHours(1);
    }

    /// <summary>Waits as long as a setting says, read afresh on every run, replays included.</summary>
    private sealed class ReadsALiveSetting(LiveSetting setting) : TaskOrchestrator<string, string>
    {
        public override async Task<string> RunAsync(TaskOrchestrationContext context, string input)
        {
            await context.CreateTimer(context.CurrentUtcDateTime + setting.Wait, CancellationToken.None);
            await context.CreateTimer(context.CurrentUtcDateTime + setting.Wait, CancellationToken.None);
            return input;
        }
    }

    /// <summary>Decides on <see cref="TaskOrchestrationContext.IsReplaying"/>: a different timer on replay.</summary>
    private sealed class BranchesOnReplay : TaskOrchestrator<string, string>
    {
        public override async Task<string> RunAsync(TaskOrchestrationContext context, string input)
        {
            await context.CreateTimer(context.CurrentUtcDateTime.AddHours(context.IsReplaying ? 2 : 1), CancellationToken.None);
            return input;
        }
    }
}
