using Retention.Core.Events;
using Retention.Core.Ports;
using Retention.Core.Reporting;
using Retention.Core.Runtime;

namespace Retention.Journeys.Tests;

/// <summary>
/// Where a journey instance's report facts and its finish are recorded: on the activities its inputs already run when its
/// generation pins <see cref="PinnedSettings.CountsWithEffects"/> (and <see cref="PinnedSettings.FinishesWithEffects"/>),
/// with activities of their own in a generation begun before, whose replays must schedule what they scheduled then.
/// Either way the counters end with the same facts and the routing index hears of the finish once.
/// </summary>
public sealed class FactCountingRun
{
    [Theory]
    // The start runs no effect (its own count); each send carries the facts its input changed; so does the last send,
    // which finishes it and marks it finished.
    [InlineData(true, true, false, 1, 0)]
    // Facts ride on effects, the finish on its own activity (a generation begun before finishes rode on effects).
    [InlineData(true, false, false, 1, 1)]
    // The start's own count; the first send carries; the answer finishes the instance with no effect, so RecordFinished carries.
    [InlineData(true, true, true, 1, 1)]
    // Begun before: a count of its own after the start, after each input that changed the facts.
    [InlineData(false, false, false, 3, 1)]
    [InlineData(false, false, true, 3, 1)]
    public async Task FactsAndTheFinishRideOnTheActivitiesAnInputRunsOnlyInAGenerationThatPinnedIt(bool withEffects, bool finishesWithEffects, bool answered,
        int countActivities, int finishActivities)
    {
        using var world = new JourneyWorld();
        world.Settings.Current = world.Settings.Current with { CountsFacts = true, CountsWithEffects = withEffects, FinishesWithEffects = finishesWithEffects };
        var id = await RunToTheEndAsync(world, answered);

        var state = await world.StateAsync(id);
        Assert.True(state.Status == InstanceStatus.Completed, world.Why(id));
        Assert.Equal(answered ? "replied" : "no-reply", state.Outcome);
        Assert.Equal(countActivities, world.Engine.ActivityExecutionsOf(JourneyTasks.CountFacts));
        Assert.Equal(answered ? 1 : 2, world.Engine.ActivityExecutionsOf(JourneyTasks.SendMessage));
        Assert.Equal(finishActivities, world.Engine.ActivityExecutionsOf(JourneyTasks.RecordFinished));
        var finished = Assert.Single(world.Index.Finished);
        Assert.Equal((id, InstanceStatus.Completed, state.StartedAt), (finished.InstanceId, finished.Status, finished.StartedAt));

        // The same facts as a generation that counts on its own, and as the instance's final state has them.
        using var before = new JourneyWorld();
        before.Settings.Current = before.Settings.Current with { CountsFacts = true, CountsWithEffects = false };
        await RunToTheEndAsync(before, answered);
        var counted = await CountsAsync(world);
        Assert.Equal(await CountsAsync(before), counted);
        Assert.Contains(counted, c => c.Fact.Contains(answered ? "replied" : "no-reply", StringComparison.Ordinal));
    }

    [Fact]
    public void AnEffectScheduledBeforeEffectsCarriedFactsReadsAsTheCommandAlone()
    {
        var task = new CreateTask("T1", "i1", "test-journey", "b", "C1", "call", "Call", null, "supervisor", JourneyWorld.T0.AddDays(1));
        var converter = Microsoft.DurableTask.Converters.JsonDataConverter.Default;

        // Without facts it is written exactly as the command was: a replay of a generation begun before writes what it wrote.
        Assert.Equal(converter.Serialize(task), converter.Serialize(new WithFacts<CreateTask>(task)));
        var read = converter.Deserialize<WithFacts<CreateTask>>(converter.Serialize(task))!;
        Assert.Equal((converter.Serialize(task), (CountedFacts?)null), (converter.Serialize(read.Command), read.Facts));

        var facts = new CountedFacts("test-journey", 1, DateOnly.FromDateTime(JourneyWorld.T0.UtcDateTime), "i1", ["entered", "at:b"]);
        var carried = converter.Deserialize<WithFacts<CreateTask>>(converter.Serialize(new WithFacts<CreateTask>(task, facts)))!;
        Assert.Equal(converter.Serialize(task), converter.Serialize(carried.Command));
        Assert.Equal(facts.Facts, carried.Facts!.Facts);
        Assert.Equal(facts with { Facts = [] }, carried.Facts with { Facts = [] });
        Assert.Null(carried.Finished);

        var finished = new FinishedInstance("C1", "i1", "test-journey", InstanceStatus.Exited, JourneyWorld.T0);
        var finishing = converter.Deserialize<WithFacts<CreateTask>>(converter.Serialize(new WithFacts<CreateTask>(task, null, finished)))!;
        Assert.Equal((converter.Serialize(task), (CountedFacts?)null, finished), (converter.Serialize(finishing.Command), finishing.Facts, finishing.Finished));
    }

    private static async Task<string> RunToTheEndAsync(JourneyWorld world, bool answered)
    {
        var id = await world.StartAsync(JourneyWorld.WaitSendAwait);
        await world.Engine.AdvanceToAsync(JourneyWorld.T0.AddDays(2));
        if (answered)
        {
            await world.RaiseAsync(id, KnownEventTypes.SmsReceived);
            await world.Engine.RunUntilIdleAsync();
        }
        await world.Engine.AdvanceToAsync(JourneyWorld.T0.AddDays(5));
        return id;
    }

    private static async Task<List<FactCount>> CountsAsync(JourneyWorld world) =>
        [.. (await world.Counters.ReadAsync("test-journey", JourneyFacts.All, null, CancellationToken.None)).OrderBy(c => c.Fact, StringComparer.Ordinal)];
}
