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

    /// <summary>
    /// A start the router counted before the instance ran (<see cref="JourneyRun.Counted"/>): the instance counts nothing
    /// for it when its start gives those facts on that day, counts its own when it gives others, and takes the recorded
    /// ones back when it starts after midnight, since it counts under the day it started. Either way the counters then
    /// hold what they hold for an instance that counted its start itself, and still do once it has finished.
    /// </summary>
    [Theory]
    [InlineData(false, false, 0)]
    [InlineData(false, true, 1)]
    [InlineData(true, false, 2)]
    public async Task AStartCountedBeforeItRanCountsOnlyWhatDiffersAndEndsCountedAsOneThatCountedItself(bool afterMidnight, bool otherFacts, int startCounts)
    {
        using var world = Counting();
        using var itself = Counting();
        var midnight = new DateTimeOffset(JourneyWorld.T0.UtcDateTime.Date.AddDays(1), TimeSpan.Zero);
        var ids = new List<string>();
        foreach (var (run, counts) in new[] { (world, true), (itself, false) })
        {
            if (afterMidnight)
            {
                run.Clock.SetUtcNow(midnight.AddSeconds(-30));
            }
            ids.Add(await run.EnterAsync(JourneyWorld.WaitSendAwait, countStart: counts && !otherFacts,
                counted: counts && otherFacts ? id => new CountedFacts("test-journey", 1, DateOnly.FromDateTime(run.Clock.GetUtcNow().UtcDateTime), id, [JourneyFacts.Entered, JourneyFacts.At("c")]) : null));
            if (afterMidnight)
            {
                run.Clock.Advance(TimeSpan.FromMinutes(1)); // the engine runs the start after midnight
            }
            await run.Engine.RunUntilIdleAsync();
        }

        Assert.Equal(startCounts, world.Engine.ActivityExecutionsOf(JourneyTasks.CountFacts));
        Assert.Equal(1, itself.Engine.ActivityExecutionsOf(JourneyTasks.CountFacts));
        var started = await CountsAsync(itself);
        Assert.Equal(started, await CountsAsync(world));
        var day = DateOnly.FromDateTime((await world.StateAsync(ids[0])).StartedAt.UtcDateTime);
        Assert.All(started, c => Assert.Equal(day, c.Day));

        await FinishAsync(world, ids[0], answered: true);
        await FinishAsync(itself, ids[1], answered: true);
        Assert.Equal(await CountsAsync(itself), await CountsAsync(world));
    }

    private static JourneyWorld Counting()
    {
        var world = new JourneyWorld();
        world.Settings.Current = world.Settings.Current with { CountsFacts = true, CountsWithEffects = true, FinishesWithEffects = true };
        return world;
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
        await FinishAsync(world, id, answered);
        return id;
    }

    /// <summary>Past the day's wait and the send; answered or not; past the three days for an answer.</summary>
    private static async Task FinishAsync(JourneyWorld world, string id, bool answered)
    {
        await world.Engine.AdvanceToAsync(JourneyWorld.T0.AddDays(2));
        if (answered)
        {
            await world.RaiseAsync(id, KnownEventTypes.SmsReceived);
            await world.Engine.RunUntilIdleAsync();
        }
        await world.Engine.AdvanceToAsync(JourneyWorld.T0.AddDays(5));
    }

    private static async Task<List<FactCount>> CountsAsync(JourneyWorld world) =>
        [.. (await world.Counters.ReadAsync("test-journey", JourneyFacts.All, null, CancellationToken.None)).OrderBy(c => c.Fact, StringComparer.Ordinal)];
}
