using Microsoft.Extensions.Logging;
using Retention.Core.Ports;
using Retention.Core.Runtime;
using Retention.Storage.Work;

namespace Retention.Storage.Engine;

public enum WorkOutcome { Done, Hopped, Retrying, Poisoned }

/// <summary>
/// Processes one work message and settles it: deleted when done, hidden for a retry when it failed, moved to the
/// poison queue after <see cref="QueueOptions.MaxDequeueCount"/> attempts. The same code serves our poller and
/// the Functions host's queue trigger.
/// </summary>
public sealed class WorkHandler(
    WorkQueue queue,
    JourneyEngine engine,
    EventRouter router,
    OutboxDispatcher dispatcher,
    Scheduling.ScheduledJourneyStarter scheduledStarts,
    Scheduling.SystemJobs systemJobs,
    IJourneyCatalog catalog,
    RuntimeMetrics metrics,
    TimeProvider time,
    ILogger<WorkHandler> logger)
{
    public async Task<WorkOutcome> ProcessAsync(ReceivedWork work, CancellationToken cancellationToken)
    {
        if (work.Message is null)
        {
            await PoisonAsync(work, "the message is not a work message", cancellationToken);
            return WorkOutcome.Poisoned;
        }
        try
        {
            var outcome = await HandleAsync(work.Message, cancellationToken);
            CheckpointProbe.Reached(CheckpointStage.BeforeMessageDelete);
            await queue.CompleteAsync(work, cancellationToken);
            return outcome;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            if (work.DequeueCount >= queue.Options.MaxDequeueCount)
            {
                await PoisonAsync(work, e.GetType().Name, cancellationToken);
                return WorkOutcome.Poisoned;
            }
            logger.WorkFailed(e, work.MessageId, work.DequeueCount);
            // An instance mid-creation is ready in milliseconds: no need to wait out the full visibility timeout.
            await queue.RetryLaterAsync(work, cancellationToken, e is InstanceStartingException ? TimeSpan.FromSeconds(1) : null);
            return WorkOutcome.Retrying;
        }
    }

    /// <summary>Does the work of one message. Throws when it should be retried.</summary>
    public async Task<WorkOutcome> HandleAsync(WorkMessage message, CancellationToken cancellationToken)
    {
        switch (message)
        {
            case TimerMessage timer:
                var early = timer.DueAt - time.GetUtcNow();
                if (early > queue.Options.TimerHoldLimit)
                {
                    await queue.EnqueueAsync(timer, timer.DueAt, cancellationToken); // a hop of a long wait
                    return WorkOutcome.Hopped;
                }
                if (early > TimeSpan.Zero)
                {
                    await Task.Delay(early, time, cancellationToken);
                }
                metrics.TimerLateness(time.GetUtcNow() - timer.DueAt);
                await engine.ApplyAsync(timer.InstanceId, new TimerFired(timer.Token), cancellationToken);
                break;
            case RouteEventMessage route:
                await router.RouteAsync(route.Event, cancellationToken);
                break;
            case DeliverEventMessage deliver:
                await engine.ApplyAsync(deliver.InstanceId, new EventReceived(deliver.Event), cancellationToken);
                break;
            case StartJourneyMessage start:
                var journey = catalog.Active.FirstOrDefault(j => j.Id == start.JourneyId);
                if (journey is not null)
                {
                    await engine.StartAsync(journey, start.Trigger, cancellationToken);
                }
                break;
            case DeferredSendMessage deferred:
                if (deferred.NotBefore - time.GetUtcNow() > queue.Options.TimerHoldLimit)
                {
                    await queue.EnqueueAsync(deferred, deferred.NotBefore, cancellationToken); // a hop of a long deferral
                    return WorkOutcome.Hopped;
                }
                await dispatcher.SendAsync(deferred.Send, cancellationToken);
                break;
            case ScheduledRunMessage scheduled:
                await scheduledStarts.RunAsync(scheduled, cancellationToken);
                break;
            case SystemJobMessage job:
                await systemJobs.RunAsync(job, cancellationToken);
                break;
            case ResumeInstanceMessage resume:
                await engine.ApplyAsync(resume.InstanceId, new ResumeInstance(resume.Reason), cancellationToken);
                break;
            default:
                throw new InvalidOperationException($"Unhandled work {message.GetType().Name}.");
        }
        return WorkOutcome.Done;
    }

    private async Task PoisonAsync(ReceivedWork work, string reason, CancellationToken cancellationToken)
    {
        metrics.Poisoned();
        logger.WorkPoisoned(work.MessageId, work.DequeueCount, reason);
        await queue.MoveToPoisonAsync(work, cancellationToken);
    }
}
