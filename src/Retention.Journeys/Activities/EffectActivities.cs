using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;
using Retention.Core.Events;
using Retention.Core.Ports;
using Retention.Core.Reporting;
using Retention.Core.Runtime;

namespace Retention.Journeys.Activities;

/// <summary>
/// Sends one message. Activities run at least once, so the sender is idempotent on the send key: it claims the key
/// with the repeatability id, sends, then marks it sent; a retry finding it marked does nothing, one finding it
/// unmarked sends again under the same id. A message that may not go out yet is handed to its own delivery
/// orchestration, which tries again when it may. Like every effect, it then counts the facts it carries (see
/// <see cref="WithFacts{TCommand}"/>); a retry sends nothing twice and counts nothing twice.
/// </summary>
[DurableTask(JourneyTasks.SendMessage)]
public sealed class SendMessageActivity(IMessageSender sender, IJourneyInstances instances, IFactCounters counters, IInstanceIndex index, JourneyMetrics metrics,
    ILogger<SendMessageActivity> logger)
    : TaskActivity<WithFacts<SendMessage>, SendOutcome>
{
    public override async Task<SendOutcome> RunAsync(TaskActivityContext context, WithFacts<SendMessage> effect)
    {
        var input = effect.Command;
        var outcome = await sender.SendAsync(input, CancellationToken.None);
        metrics.MessageDispatched(input.Channel, outcome.Status);
        logger.SendDispatched(input.SendKey, input.CustomerId, outcome.Status, outcome.Detail);
        if (outcome is { Status: SendStatus.Deferred, DeferredUntil: { } until } && !context.InstanceId.StartsWith(MessageDeliveryOrchestrator.InstancePrefix, StringComparison.Ordinal))
        {
            await instances.StartAsync(JourneyTasks.MessageDelivery, MessageDeliveryOrchestrator.InstanceIdOf(input), new DeferredDelivery(input, until), CancellationToken.None);
        }
        await effect.RecordAsync(counters, index);
        return outcome;
    }
}

[DurableTask(JourneyTasks.CreateTask)]
public sealed class CreateTaskActivity(ITaskSink tasks, IFactCounters counters, IInstanceIndex index) : TaskActivity<WithFacts<CreateTask>, bool>
{
    public override async Task<bool> RunAsync(TaskActivityContext context, WithFacts<CreateTask> input)
    {
        await tasks.CreateAsync(input.Command, CancellationToken.None);
        await input.RecordAsync(counters, index);
        return true;
    }
}

/// <summary>Set semantics are naturally idempotent; additions are applied once under the update key.</summary>
[DurableTask(JourneyTasks.UpdateCustomer)]
public sealed class UpdateCustomerActivity(ICustomerProfiles profiles, IFactCounters counters, IInstanceIndex index) : TaskActivity<WithFacts<UpdateCustomer>, bool>
{
    public override async Task<bool> RunAsync(TaskActivityContext context, WithFacts<UpdateCustomer> input)
    {
        await profiles.ApplyAsync(input.Command, CancellationToken.None);
        await input.RecordAsync(counters, index);
        return true;
    }
}

/// <summary>An event for another (or the same) customer, accepted like an ingested one; its id makes a retry a duplicate.</summary>
[DurableTask(JourneyTasks.EmitEvent)]
public sealed class EmitEventActivity(ICustomerEventSink events, IFactCounters counters, IInstanceIndex index) : TaskActivity<WithFacts<EmitEvent>, bool>
{
    /// <summary>The CloudEvent source of events journeys emit.</summary>
    public const string EmittedSource = "retention/journeys";

    public override async Task<bool> RunAsync(TaskActivityContext context, WithFacts<EmitEvent> effect)
    {
        var input = effect.Command;
        await events.AcceptAsync(new CustomerEvent(input.EventId, EmittedSource, input.Type, input.Time, input.CustomerId, input.Data), CancellationToken.None);
        await effect.RecordAsync(counters, index);
        return true;
    }
}

/// <summary>
/// A finished instance leaves the customer's routing index, so later events are no longer raised to it, and counts the
/// facts it finished with when its last input ran no effect to carry them. (An input that finishes the instance and runs
/// an effect has that effect record both, in a generation that pins <see cref="PinnedSettings.FinishesWithEffects"/>.)
/// </summary>
[DurableTask(JourneyTasks.RecordFinished)]
public sealed class RecordFinishedActivity(IInstanceIndex index, IFactCounters counters) : TaskActivity<WithFacts<FinishedInstance>, bool>
{
    public override async Task<bool> RunAsync(TaskActivityContext context, WithFacts<FinishedInstance> input)
    {
        await (input with { Finished = input.Command }).RecordAsync(counters, index);
        return true;
    }
}

/// <summary>
/// One page of a migration: the journey's instances from the page's token, each unfinished one on an older version
/// signalled (and counted as signalled in the migration's progress), and where the next page starts.
/// </summary>
[DurableTask(JourneyTasks.SignalMigrationPage)]
public sealed class SignalMigrationPageActivity(IJourneyInstances instances, IFactCounters counters) : TaskActivity<JourneyMigrationRun, MigrationPage>
{
    public const int PageSize = 200;

    /// <summary>
    /// The whole page at once: its progress records reach the counters together, which write them in a few full groups
    /// (<c>FactCounterStore</c>: up to 50 subjects a transaction, 4 writers a partition) rather than in many small ones,
    /// one after another. The pages themselves go one at a time, so this is what a migration's pace hangs on.
    /// </summary>
    private const int SignalsAtOnce = PageSize;

    public override async Task<MigrationPage> RunAsync(TaskActivityContext context, JourneyMigrationRun input)
    {
        var page = await instances.QueryAsync(input.JourneyId, null, PageSize, input.ContinuationToken, CancellationToken.None);
        var moving = page.Items.Select(i => i.State).Where(s => !s.Status.IsFinished() && s.Version != input.ToVersion).ToList();
        // Signalled side by side: the counters write the page's records together.
        await Parallel.ForEachAsync(moving, new ParallelOptions { MaxDegreeOfParallelism = SignalsAtOnce }, async (state, cancellationToken) =>
        {
            await instances.SignalAsync(state.InstanceId, input.Signal with { Migration = input.Id }, cancellationToken);
            await counters.RecordAsync(MigrationProgress.Signal(input.Id, state.InstanceId), cancellationToken);
        });
        if (page.ContinuationToken is null)
        {
            await counters.RecordAsync(MigrationProgress.AllPaged(input.Id), CancellationToken.None);
        }
        return new MigrationPage(moving.Count, page.ContinuationToken);
    }
}

/// <summary>A published version's definition, for an instance a migration moves to it (the catalog keeps each version it has read).</summary>
[DurableTask(JourneyTasks.ReadDefinition)]
public sealed class ReadDefinitionActivity(IPublishedDefinitions definitions) : TaskActivity<DefinitionRequest, string>
{
    public override async Task<string> RunAsync(TaskActivityContext context, DefinitionRequest input) =>
        await definitions.ReadJsonAsync(input.JourneyId, input.Version, CancellationToken.None)
            ?? throw new InvalidOperationException($"Journey {input.JourneyId} has no version {input.Version}.");
}

/// <summary>The events a new instance may have to see: those that arrived before it started, read once it has started.</summary>
[DurableTask(JourneyTasks.ReadRecentEvents)]
public sealed class ReadRecentEventsActivity(IRecentCustomerEvents events) : TaskActivity<RecentEventsRequest, IReadOnlyList<CustomerEvent>>
{
    public override Task<IReadOnlyList<CustomerEvent>> RunAsync(TaskActivityContext context, RecentEventsRequest input) =>
        events.SinceAsync(input.CustomerId, input.Since, input.Take, CancellationToken.None);
}

/// <summary>
/// The instance's report facts as of its latest state, for an input that runs no effect to carry them; the counters
/// take the difference, so a retry counts nothing twice.
/// </summary>
[DurableTask(JourneyTasks.CountFacts)]
public sealed class CountFactsActivity(IFactCounters counters) : TaskActivity<CountedFacts, bool>
{
    public override async Task<bool> RunAsync(TaskActivityContext context, CountedFacts input)
    {
        await counters.RecordAsync(input, CancellationToken.None);
        return true;
    }
}

[DurableTask(JourneyTasks.RunScheduledWork)]
public sealed class RunScheduledWorkActivity(IScheduledWorkRunner runner) : TaskActivity<ScheduledWork, bool>
{
    public override async Task<bool> RunAsync(TaskActivityContext context, ScheduledWork input)
    {
        await runner.RunAsync(input, CancellationToken.None);
        return true;
    }
}

/// <summary>
/// What every effect does last: record what it carries, the facts the same way <see cref="CountFactsActivity"/> counts
/// them and the finish as <see cref="RecordFinishedActivity"/> marks it.
/// </summary>
internal static class EffectRecords
{
    public static async Task RecordAsync<TCommand>(this WithFacts<TCommand> effect, IFactCounters counters, IInstanceIndex index) where TCommand : class
    {
        if (effect.Finished is { } finished)
        {
            await index.MarkFinishedAsync(finished, CancellationToken.None);
        }
        if (effect.Facts is { } facts)
        {
            await counters.RecordAsync(facts, CancellationToken.None);
        }
    }
}
