using Retention.Core.Events;
using Retention.Core.Ports;
using Retention.Core.Runtime;
using Retention.Testing.Durable;

namespace Retention.Journeys.Tests;

/// <summary>The journey orchestrator on the virtual engine: waits, races, early events, generations and operator signals.</summary>
public sealed class JourneyOrchestratorRun
{
    private static readonly string WaitSendAwait = JourneyWorld.WaitSendAwait;

    private static readonly DateTimeOffset T0 = JourneyWorld.T0;

    [Fact]
    public async Task SendsAtTheEndOfTheWaitAndTimesOutAtTheDeadline()
    {
        using var world = new JourneyWorld();
        var id = await world.StartAsync(WaitSendAwait);
        Assert.Equal((InstanceStatus.Waiting, "a"), ((await world.StateAsync(id)).Status, (await world.StateAsync(id)).CurrentStepId));
        Assert.Equal(T0.AddDays(1), world.Engine.NextTimerDue);

        await world.Engine.AdvanceToAsync(T0.AddDays(1).AddTicks(-1));
        Assert.Empty(world.Sender.Dispatches);

        await world.Engine.AdvanceToAsync(T0.AddDays(1));
        var hello = Assert.Single(world.Sender.Dispatches);
        Assert.Equal(("b", T0.AddDays(1), T0.AddDays(1)), (hello.Message.StepId, hello.At, hello.Message.FirstAttemptAt));
        Assert.Equal((InstanceStatus.Waiting, "c"), ((await world.StateAsync(id)).Status, (await world.StateAsync(id)).CurrentStepId));

        await world.Engine.AdvanceToAsync(T0.AddDays(4).AddTicks(-1));
        Assert.Single(world.Sender.Dispatches);

        await world.Engine.AdvanceToAsync(T0.AddDays(10));
        Assert.Equal(["b", "late"], world.Sender.Dispatches.Select(d => d.Message.StepId));
        Assert.Equal(T0.AddDays(4), world.Sender.Dispatches[1].At);
        var info = await world.InfoAsync(id);
        Assert.Equal((InstanceStatus.Completed, "no-reply"), (info.State.Status, info.State.Outcome));
        Assert.Contains(info.History, h => h.Kind == HistoryKinds.TimedOut && h.At == T0.AddDays(4));
        Assert.Equal(VirtualRuntimeStatus.Completed, world.Engine.Inspect(id)!.Status);
        Assert.Equal(id, Assert.Single(world.Index.Finished).InstanceId);
        Assert.Null(world.Engine.NextTimerDue);
    }

    [Fact]
    public async Task AnEventBeforeTheTimeoutWinsAndTheTimeoutNeverFires()
    {
        using var world = new JourneyWorld();
        var id = await world.StartAsync(WaitSendAwait);
        await world.Engine.AdvanceToAsync(T0.AddDays(2));
        Assert.Equal(T0.AddDays(4), world.Engine.NextTimerDue);

        await world.RaiseAsync(id, KnownEventTypes.SmsReceived);
        await world.Engine.RunUntilIdleAsync();

        var state = await world.StateAsync(id);
        Assert.True((InstanceStatus.Completed, "replied") == (state.Status, state.Outcome), world.Why(id));
        Assert.Null(world.Engine.NextTimerDue);
        await world.Engine.AdvanceToAsync(T0.AddDays(10));
        Assert.Single(world.Sender.Dispatches);
        Assert.DoesNotContain((await world.InfoAsync(id)).History, h => h.Kind == HistoryKinds.TimedOut);
        Assert.Equal(1, world.Engine.ActivityExecutionsOf(JourneyTasks.RecordFinished));
    }

    [Fact]
    public async Task AnEventRaisedBeforeTheWaitIsDeliveredWhenTheWaitStarts()
    {
        using var world = new JourneyWorld();
        var id = await world.EnterAsync(WaitSendAwait);
        // Raised before the instance has even run its start, then before it reaches its wait for the event.
        await world.RaiseAsync(id, KnownEventTypes.SmsReceived);
        await world.Engine.RunUntilIdleAsync();
        Assert.True((await world.StateAsync(id)).Status == InstanceStatus.Waiting, world.Why(id));
        Assert.Contains((await world.InfoAsync(id)).History, h => h.Kind == HistoryKinds.EventBuffered);

        await world.Engine.AdvanceToAsync(T0.AddDays(1));

        var info = await world.InfoAsync(id);
        Assert.True((InstanceStatus.Completed, "replied") == (info.State.Status, info.State.Outcome), world.Why(id));
        Assert.Contains(info.History, h => h.Kind == HistoryKinds.BufferedDelivered && h.At == T0.AddDays(1));
        Assert.Null(world.Engine.NextTimerDue);
    }

    [Fact]
    public async Task AnEventLoggedBeforeTheInstanceStartedIsReadByItAtItsStart()
    {
        using var world = new JourneyWorld();
        // Routed while the instance was not yet running: only the customer's log has it, and the instance reads it at its start.
        world.Recent.Log(world.Event(KnownEventTypes.SmsReceived), T0);
        var id = await world.EnterAsync(WaitSendAwait);
        await world.Engine.AdvanceToAsync(T0.AddDays(1));

        var info = await world.InfoAsync(id);
        Assert.True((InstanceStatus.Completed, "replied") == (info.State.Status, info.State.Outcome), world.Why(id));
        Assert.Equal(1, world.Engine.ActivityExecutionsOf(JourneyTasks.ReadRecentEvents));
    }

    [Fact]
    public async Task AGenerationHandsOnItsStateHistoryAndTheEventsRaisedAroundIt()
    {
        var json = JourneyWorld.Journey("""
            { "id": "a", "type": "waitForEvent", "event": "sms.received", "onEvent": "b" },
            { "id": "b", "type": "send", "channel": "sms", "template": "hello", "category": "service", "next": "c" },
            { "id": "c", "type": "waitForEvent", "event": "sms.received", "onEvent": "d" },
            { "id": "d", "type": "send", "channel": "sms", "template": "later", "category": "service", "next": "e" },
            { "id": "e", "type": "waitForEvent", "event": "sms.received", "onEvent": "f" },
            { "id": "f", "type": "exit", "outcome": "three-replies" }
            """);
        using var world = new JourneyWorld(inputsPerGeneration: 2);
        var id = await world.StartAsync(json);

        // Three at once: the first is the generation's second input, the others arrive while it sends and continues as new.
        await world.RaiseAsync(id, KnownEventTypes.SmsReceived);
        await world.RaiseAsync(id, KnownEventTypes.SmsReceived);
        await world.RaiseAsync(id, KnownEventTypes.SmsReceived);
        await world.Engine.RunUntilIdleAsync();

        var info = await world.InfoAsync(id);
        Assert.True((InstanceStatus.Completed, "three-replies") == (info.State.Status, info.State.Outcome), world.Why(id));
        Assert.True(world.Engine.Inspect(id)!.Generation >= 2);
        Assert.Equal(["b", "d"], world.Sender.Dispatches.Select(d => d.Message.StepId));
        Assert.Equal(HistoryKinds.Started, info.History[0].Kind);
        Assert.Equal(3, info.History.Count(h => h.Kind == HistoryKinds.EventReceived));
        Assert.Equal(new Dictionary<string, int> { ["a"] = 1, ["b"] = 1, ["c"] = 1, ["d"] = 1, ["e"] = 1, ["f"] = 1 }, info.State.Occurrences);
    }

    [Fact]
    public async Task AnEventRaisedBetweenGenerationsIsKept()
    {
        var json = JourneyWorld.Journey("""
            { "id": "a", "type": "waitForEvent", "event": "sms.received", "onEvent": "b" },
            { "id": "b", "type": "waitForEvent", "event": "sms.received", "onEvent": "c" },
            { "id": "c", "type": "waitForEvent", "event": "sms.received", "onEvent": "d" },
            { "id": "d", "type": "exit", "outcome": "done" }
            """);
        using var world = new JourneyWorld(inputsPerGeneration: 2);
        var id = await world.StartAsync(json);
        for (var i = 0; i < 3; i++)
        {
            await world.RaiseAsync(id, KnownEventTypes.SmsReceived);
            await world.Engine.RunUntilIdleAsync();
            Assert.True(world.Engine.Inspect(id)!.Status == VirtualRuntimeStatus.Running || i == 2, world.Why(id));
        }
        var state = await world.StateAsync(id);
        Assert.True((InstanceStatus.Completed, "done") == (state.Status, state.Outcome), world.Why(id));
        Assert.True(world.Engine.Inspect(id)!.Generation >= 2);
    }

    [Fact]
    public async Task ATimerIsNeverActedOnBeforeItsDueTime()
    {
        var json = JourneyWorld.Journey("""
            { "id": "a", "type": "wait", "duration": "PT90M", "next": "b" },
            { "id": "b", "type": "send", "channel": "sms", "template": "hello", "category": "service", "next": "c" },
            { "id": "c", "type": "wait", "until": { "time": "10:00", "daysLater": 1 }, "next": "d" },
            { "id": "d", "type": "send", "channel": "sms", "template": "later", "category": "service" }
            """);
        using var world = new JourneyWorld();
        var id = await world.StartAsync(json);
        var firstDue = T0.AddMinutes(90);
        await world.Engine.AdvanceToAsync(firstDue.AddTicks(-1));
        Assert.Empty(world.Sender.Dispatches);
        Assert.Equal(firstDue, (await world.StateAsync(id)).Timer?.DueAt);

        await world.Engine.AdvanceToAsync(T0.AddDays(3));

        Assert.Equal(2, world.Sender.Dispatches.Count);
        var dues = new[] { firstDue, new DateTimeOffset(2026, 3, 3, 10, 0, 0, TimeSpan.Zero) };
        for (var i = 0; i < 2; i++)
        {
            // FirstAttemptAt is the orchestrator's CurrentUtcDateTime when the interpreter ran the send.
            Assert.True(world.Sender.Dispatches[i].Message.FirstAttemptAt >= dues[i], $"send {i} at {world.Sender.Dispatches[i].Message.FirstAttemptAt:O}, due {dues[i]:O}");
            Assert.Equal(dues[i], world.Sender.Dispatches[i].At);
        }
        Assert.Equal(InstanceStatus.Completed, (await world.StateAsync(id)).Status);
    }

    [Fact]
    public async Task SuspendHoldsADueTimerUntilResumeAndTerminateEnds()
    {
        using var world = new JourneyWorld();
        var id = await world.StartAsync(WaitSendAwait);
        await world.Engine.AdvanceToAsync(T0.AddHours(1));
        await world.SignalAsync(id, SignalKind.Suspend, "operator");
        await world.Engine.RunUntilIdleAsync();
        Assert.True((await world.StateAsync(id)).Status == InstanceStatus.Suspended, world.Why(id));

        await world.Engine.AdvanceToAsync(T0.AddDays(2));
        Assert.Empty(world.Sender.Dispatches);
        var held = await world.InfoAsync(id);
        Assert.True((InstanceStatus.Suspended, true) == (held.State.Status, held.State.TimerElapsedWhileSuspended), world.Why(id));
        Assert.Contains(held.History, h => h.Kind == HistoryKinds.TimerHeld && h.At == T0.AddDays(1));

        await world.SignalAsync(id, SignalKind.Resume, "operator");
        await world.Engine.RunUntilIdleAsync();
        var hello = Assert.Single(world.Sender.Dispatches);
        Assert.Equal(("b", T0.AddDays(2)), (hello.Message.StepId, hello.At));
        Assert.Equal((InstanceStatus.Waiting, "c"), ((await world.StateAsync(id)).Status, (await world.StateAsync(id)).CurrentStepId));

        await world.SignalAsync(id, SignalKind.Terminate, "operator");
        await world.Engine.RunUntilIdleAsync();
        var ended = await world.StateAsync(id);
        Assert.True((InstanceStatus.Terminated, "operator") == (ended.Status, ended.Outcome), world.Why(id));
        Assert.Equal(InstanceStatus.Terminated, Assert.Single(world.Index.Finished).Status);
        await world.Engine.AdvanceToAsync(T0.AddDays(10));
        Assert.Single(world.Sender.Dispatches);
    }

    [Fact]
    public async Task ADeferredSendIsDeliveredByItsOwnOrchestrationAtTheTimeGiven()
    {
        var json = JourneyWorld.Journey("""
            { "id": "a", "type": "send", "channel": "sms", "template": "hello", "category": "marketing", "next": "b" },
            { "id": "b", "type": "waitForEvent", "event": "sms.received", "onEvent": "c" },
            { "id": "c", "type": "exit", "outcome": "replied" }
            """);
        using var world = new JourneyWorld();
        var until = T0.AddHours(13);
        world.Sender.Script.Enqueue(new SendOutcome(SendStatus.Deferred, null, "quiet hours", until));
        var id = await world.StartAsync(json);

        var deferred = Assert.Single(world.Sender.Dispatches);
        Assert.Equal(SendStatus.Deferred, deferred.Status);
        var delivery = MessageDeliveryOrchestrator.InstanceIdOf(deferred.Message);
        Assert.Equal(VirtualRuntimeStatus.Running, world.Engine.Inspect(delivery)?.Status);
        Assert.Null(await world.Engine.GetAsync(delivery, CancellationToken.None)); // not a journey instance
        Assert.Equal(until, world.Engine.NextTimerDue);

        await world.Engine.AdvanceToAsync(until.AddTicks(-1));
        Assert.Single(world.Sender.Dispatches);
        await world.Engine.AdvanceToAsync(T0.AddDays(1));

        Assert.Equal(2, world.Sender.Dispatches.Count);
        var sent = world.Sender.Dispatches[1];
        Assert.Equal((SendStatus.Sent, until, deferred.Message.SendKey, deferred.Message.RepeatabilityId),
            (sent.Status, sent.At, sent.Message.SendKey, sent.Message.RepeatabilityId));
        var finished = world.Engine.Inspect(delivery)!;
        Assert.Equal((VirtualRuntimeStatus.Completed, "\"Sent\""), (finished.Status, finished.Output));
        Assert.Equal(InstanceStatus.Waiting, (await world.StateAsync(id)).Status);
    }
}
