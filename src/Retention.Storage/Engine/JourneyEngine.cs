using Microsoft.Extensions.Logging;
using Retention.Core.Customers;
using Retention.Core.Definitions;
using Retention.Core.Events;
using Retention.Core.Ports;
using Retention.Core.Runtime;
using Retention.Storage.Customers;
using Retention.Storage.Instances;

namespace Retention.Storage.Engine;

public enum ApplyResult { Applied, Ignored, NotFound }

public abstract record StartResult;
public sealed record Started(string InstanceId) : StartResult;
public sealed record AlreadyStarted(string InstanceId) : StartResult;
public sealed record NotEntered(string Reason) : StartResult;

/// <summary>
/// Runs the interpreter against stored instances in the checkpoint order: read with ETag → interpret → commit state,
/// outbox and history in one transaction → carry out the outbox → clear it. A crash anywhere replays harmlessly,
/// because the caller's queue message is only deleted after this returns, and a leftover outbox is carried out
/// (idempotently) before the next input.
/// </summary>
public sealed class JourneyEngine(
    InstanceStore instances,
    CustomerInstanceIndex index,
    EnrollmentStore enrollments,
    ICustomerProfiles customers,
    CustomerEventLog events,
    IJourneyCatalog catalog,
    JourneyInterpreter interpreter,
    OutboxDispatcher dispatcher,
    RuntimeMetrics metrics,
    TimeProvider time,
    ILogger<JourneyEngine> logger)
{
    private const int MaxAttempts = 25;

    public async Task<ApplyResult> ApplyAsync(string instanceId, JourneyInput input, CancellationToken cancellationToken)
    {
        var kind = InputKind(input);
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            var stored = await instances.GetAsync(instanceId, cancellationToken);
            if (stored is null)
            {
                return ApplyResult.NotFound;
            }
            stored = await FlushOutboxAsync(stored, cancellationToken);
            if (stored is null)
            {
                continue;
            }
            var journey = await catalog.GetAsync(stored.State.JourneyId, stored.State.Version, cancellationToken)
                ?? throw new InvalidOperationException($"Journey {stored.State.JourneyId} v{stored.State.Version} is missing from the catalog.");
            var result = interpreter.Interpret(journey, stored.State, input, time.GetUtcNow());
            if (!result.Changed)
            {
                metrics.InputApplied(kind, false);
                logger.InputIgnored(instanceId, kind, result.IgnoredReason);
                return ApplyResult.Ignored;
            }
            var committed = await instances.CommitAsync(stored, result, cancellationToken);
            if (committed is null)
            {
                metrics.Conflict();
                logger.CommitConflict(instanceId, attempt);
                await Task.Yield();
                continue;
            }
            await AfterCommitAsync(committed, stored.State.Status, result, cancellationToken);
            metrics.InputApplied(kind, true);
            logger.InstanceApplied(instanceId, kind, committed.State.Status);
            return ApplyResult.Applied;
        }
        throw new InvalidOperationException($"Instance {instanceId} kept changing concurrently; the work will be retried.");
    }

    /// <summary>Enters a customer into a journey, honouring its re-entry policy. A duplicate trigger changes nothing.</summary>
    public async Task<StartResult> StartAsync(JourneyDefinition journey, CustomerEvent trigger, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var enrollment = journey.Entry.Policy is ReEntryPolicy.Once or ReEntryPolicy.Cooldown
            ? await enrollments.GetAsync(trigger.CustomerId, journey.Id, cancellationToken)
            : null;
        var decision = EntryPolicy.Decide(journey, trigger, enrollment, now);
        if (decision is Skip skip)
        {
            logger.EntrySkipped(journey.Id, trigger.CustomerId, skip.Reason);
            return new NotEntered(skip.Reason);
        }
        var enter = (Enter)decision;
        var existing = await instances.GetAsync(enter.InstanceId, cancellationToken);
        if (existing is not null)
        {
            await FlushOutboxAsync(existing, cancellationToken);
            return new AlreadyStarted(enter.InstanceId);
        }
        // Index first, then read the event log: an event logged after this read is routed to the indexed instance,
        // and one logged before it is in what the start reads. Either way the instance sees it.
        await index.AddPendingAsync(trigger.CustomerId, enter.InstanceId, journey.Id, now, cancellationToken);
        var profile = await customers.GetAsync(trigger.CustomerId, cancellationToken) ?? CustomerSnapshot.Empty(trigger.CustomerId);
        var window = journey.EventBufferWindow ?? interpreter.Settings.EventBufferWindow;
        var recent = journey.AwaitedEventTypes.Count > 0 || journey.ExitOn.Count > 0
            ? await events.SinceAsync(trigger.CustomerId, now - window, 200, cancellationToken)
            : [];
        var result = interpreter.Interpret(journey, null, new StartInstance(enter.InstanceId, enter.EntryKey, trigger, profile, recent), now);
        var committed = await instances.CommitAsync(null, result, cancellationToken);
        if (committed is null)
        {
            return new AlreadyStarted(enter.InstanceId);
        }
        if (journey.Entry.Policy is ReEntryPolicy.Once or ReEntryPolicy.Cooldown)
        {
            await enrollments.RecordEntryAsync(trigger.CustomerId, journey.Id, now, enrollment, cancellationToken);
        }
        logger.InstanceStarted(enter.InstanceId, journey.Id, journey.Version, trigger.CustomerId);
        await AfterCommitAsync(committed, InstanceStatus.Pending, result, cancellationToken);
        metrics.InputApplied("start", true);
        return new Started(enter.InstanceId);
    }

    private async Task AfterCommitAsync(StoredInstance committed, InstanceStatus before, InterpretResult result, CancellationToken cancellationToken)
    {
        metrics.StepsExecuted(result.History);
        CheckpointProbe.Reached(CheckpointStage.AfterCommit);
        if (committed.Outbox.Count > 0)
        {
            await dispatcher.DispatchAsync(committed.Outbox, cancellationToken);
            CheckpointProbe.Reached(CheckpointStage.AfterDispatch);
            await instances.ClearOutboxAsync(committed, cancellationToken);
        }
        if (committed.State.Status != before && (committed.State.Status.IsFinished() || before == InstanceStatus.Pending || before == InstanceStatus.Suspended || committed.State.Status == InstanceStatus.Suspended))
        {
            await index.UpsertAsync(committed.State, cancellationToken);
        }
    }

    /// <summary>Carries out an outbox a crashed run committed but did not finish. Returns the instance with its new ETag.</summary>
    private async Task<StoredInstance?> FlushOutboxAsync(StoredInstance stored, CancellationToken cancellationToken)
    {
        if (stored.Outbox.Count == 0)
        {
            return stored;
        }
        logger.OutboxRecovered(stored.State.InstanceId, stored.Outbox.Count);
        await dispatcher.DispatchAsync(stored.Outbox, cancellationToken);
        var etag = await instances.ClearOutboxAsync(stored, cancellationToken);
        return etag is { } e ? stored with { Outbox = [], ETag = e } : null;
    }

    private static string InputKind(JourneyInput input) => input switch
    {
        StartInstance => "start",
        TimerFired => "timer",
        EventReceived => "event",
        SuspendInstance => "suspend",
        ResumeInstance => "resume",
        TerminateInstance => "terminate",
        _ => input.GetType().Name,
    };
}
