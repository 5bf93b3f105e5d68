using Microsoft.DurableTask;
using Retention.Core.Ports;
using Retention.Core.Runtime;

namespace Retention.Journeys;

public sealed record DeferredDelivery(SendMessage Send, DateTimeOffset NotBefore);

/// <summary>
/// A message that may not go out yet (quiet hours, a frequency cap, a throttled provider, a fallback after a failed
/// delivery): it waits durably until it may and is sent then, decided afresh by the same send activity.
/// </summary>
[DurableTask(JourneyTasks.MessageDelivery)]
public sealed class MessageDeliveryOrchestrator(JourneyOrchestrationOptions options) : TaskOrchestrator<DeferredDelivery, string>
{
    private const int MaxDeferrals = 100;

    public const string InstancePrefix = "delivery:";

    public static string InstanceIdOf(SendMessage send) => InstancePrefix + send.SendKey;

    public override async Task<string> RunAsync(TaskOrchestrationContext context, DeferredDelivery input)
    {
        var due = input.NotBefore;
        for (var deferral = 0; deferral < MaxDeferrals; deferral++)
        {
            // Never act before the due time, should a timer still come back early.
            while (context.CurrentUtcDateTime < due.UtcDateTime)
            {
                await context.CreateTimer(options.FireAt(due), CancellationToken.None);
            }
            var outcome = await context.CallActivityAsync<SendOutcome>(JourneyTasks.SendMessage, input.Send, options.EffectRetry);
            if (outcome is not { Status: SendStatus.Deferred, DeferredUntil: { } until })
            {
                return outcome.Status.ToString();
            }
            due = until;
        }
        return "deferred too often";
    }
}

/// <summary>
/// Publishing with "migrate" or "end": signals every unfinished instance of an older version, one page per generation
/// (<see cref="JourneyTasks.SignalMigrationPage"/>), continuing as new after each, so its history stays the size of
/// one page's activity however many instances there are; a crash resumes at the page it was on.
/// </summary>
[DurableTask(JourneyTasks.JourneyMigration)]
public sealed class JourneyMigrationOrchestrator(JourneyOrchestrationOptions options) : TaskOrchestrator<JourneyMigrationRun, int>
{
    /// <returns>Instances signalled, once every page is done.</returns>
    public override async Task<int> RunAsync(TaskOrchestrationContext context, JourneyMigrationRun input)
    {
        var page = await context.CallActivityAsync<MigrationPage>(JourneyTasks.SignalMigrationPage, input, options.EffectRetry);
        var signalled = input.Signalled + page.Signalled;
        if (page.ContinuationToken is { } next)
        {
            context.ContinueAsNew(input with { ContinuationToken = next, Signalled = signalled });
        }
        return signalled;
    }
}

/// <summary>A schedule's occurrence or a system job, run once: its instance id is the occurrence, so a second start is refused.</summary>
[DurableTask(JourneyTasks.ScheduledWork)]
public sealed class ScheduledWorkOrchestrator(JourneyOrchestrationOptions options) : TaskOrchestrator<ScheduledWork, bool>
{
    public static string InstanceIdOf(ScheduledWork work) => $"work:{work.Kind}:{work.Name}:{work.Occurrence.UtcDateTime:yyyyMMddTHHmmssfffZ}";

    public override async Task<bool> RunAsync(TaskOrchestrationContext context, ScheduledWork input)
    {
        await context.CallActivityAsync(JourneyTasks.RunScheduledWork, input, options.EffectRetry);
        return true;
    }
}
