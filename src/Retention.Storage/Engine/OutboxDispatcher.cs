using Microsoft.Extensions.Logging;
using Retention.Core.Ports;
using Retention.Core.Events;
using Retention.Core.Runtime;
using Retention.Storage.Ingest;
using Retention.Storage.Work;

namespace Retention.Storage.Engine;

/// <summary>
/// Carries out committed commands. Every effect is idempotent: sends and tasks by their keys, customer updates by
/// set semantics and additions by their update key, emitted events by their id, timers by their token (a duplicate firing is stale). Timers go last, so a timer that fired proves
/// the rest of its outbox was carried out.
/// </summary>
public sealed class OutboxDispatcher(
    WorkQueue queue,
    IMessageSender sender,
    ITaskSink tasks,
    ICustomerProfiles customers,
    EventIngestor events,
    RuntimeMetrics metrics,
    ILogger<OutboxDispatcher> logger)
{
    /// <summary>
    /// Sends one message; one that may not go out yet is re-queued, hidden until it may. A crash before the re-queue
    /// leaves the outbox (or the deferred message) in place, so the send is decided again, never lost.
    /// </summary>
    public async Task<SendOutcome> SendAsync(SendMessage send, CancellationToken cancellationToken)
    {
        var outcome = await sender.SendAsync(send, cancellationToken);
        metrics.MessageDispatched(send.Channel, outcome.Status);
        logger.SendDispatched(send.SendKey, send.CustomerId, outcome.Status, outcome.Detail);
        CheckpointProbe.Reached(CheckpointStage.AfterSend);
        if (outcome is { Status: SendStatus.Deferred, DeferredUntil: { } until })
        {
            await queue.EnqueueAsync(new DeferredSendMessage(send, until), until, cancellationToken);
        }
        return outcome;
    }

    /// <summary>The CloudEvent source of events journeys emit; with the (instance, step, occurrence) id it makes a retry a duplicate.</summary>
    public const string EmittedSource = "retention/journeys";

    public async Task DispatchAsync(IReadOnlyList<JourneyCommand> commands, CancellationToken cancellationToken)
    {
        foreach (var command in commands.OrderBy(c => c is ScheduleTimer ? 1 : 0))
        {
            switch (command)
            {
                case SendMessage send:
                    await SendAsync(send, cancellationToken);
                    break;
                case CreateTask task:
                    await tasks.CreateAsync(task, cancellationToken);
                    break;
                case UpdateCustomer update:
                    await customers.ApplyAsync(update, cancellationToken);
                    break;
                case EmitEvent emit:
                    await events.AcceptAsync(new CustomerEvent(emit.EventId, EmittedSource, emit.Type, emit.Time, emit.CustomerId, emit.Data), cancellationToken);
                    break;
                case ScheduleTimer timer:
                    await queue.EnqueueAsync(new TimerMessage(timer.InstanceId, timer.Token, timer.DueAt), timer.DueAt, cancellationToken);
                    break;
                default:
                    throw new InvalidOperationException($"Unhandled command {command.GetType().Name}.");
            }
        }
    }
}
