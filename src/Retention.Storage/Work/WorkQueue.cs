using System.Text.Json;
using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;

namespace Retention.Storage.Work;

/// <summary>A received message: its work (null when the text could not be read) and what is needed to settle it.</summary>
public sealed record ReceivedWork(string MessageId, string PopReceipt, long DequeueCount, string Text, WorkMessage? Message);

/// <summary>The durable work and timer queue. Timers longer than a hop are re-enqueued until they are due.</summary>
public sealed class WorkQueue(StorageAccount account, QueueOptions options, WakeSignal wake, TimeProvider time)
{
    private static readonly TimeSpan NeverExpires = TimeSpan.FromSeconds(-1);

    private readonly QueueClient _queue = account.Queue(StorageAccount.WorkQueueName);
    private readonly QueueClient _poison = account.Queue(StorageAccount.WorkQueueName + "-poison");

    public QueueOptions Options => options;

    public static string Serialize(WorkMessage message) => JsonSerializer.Serialize(message, WorkJsonContext.Default.WorkMessage);

    public static WorkMessage? Deserialize(string text)
    {
        try
        {
            return JsonSerializer.Deserialize(text, WorkJsonContext.Default.WorkMessage);
        }
        catch (JsonException)
        {
            return null;
        }
        catch (NotSupportedException)
        {
            return null;
        }
    }

    /// <summary>Enqueues work, hidden until <paramref name="visibleAt"/> or for one hop, whichever is sooner.</summary>
    public async Task EnqueueAsync(WorkMessage message, DateTimeOffset? visibleAt = null, CancellationToken cancellationToken = default)
    {
        var delay = HiddenFor(visibleAt);
        await _queue.SendMessageAsync(Serialize(message), delay, NeverExpires, cancellationToken);
        wake.At(time.GetUtcNow() + delay);
    }

    /// <summary>
    /// How long to hide a message: whole seconds (the queue's unit) rounded down, so it is visible a little early and
    /// the worker holds it until it is due, rather than late.
    /// </summary>
    public TimeSpan HiddenFor(DateTimeOffset? visibleAt)
    {
        if (visibleAt is not { } at)
        {
            return TimeSpan.Zero;
        }
        var delay = at - time.GetUtcNow();
        if (delay > options.MaxTimerHop)
        {
            delay = options.MaxTimerHop;
        }
        return delay <= TimeSpan.Zero ? TimeSpan.Zero : TimeSpan.FromSeconds(Math.Floor(delay.TotalSeconds));
    }

    public async Task<IReadOnlyList<ReceivedWork>> ReceiveAsync(int maxMessages, CancellationToken cancellationToken)
    {
        var response = await _queue.ReceiveMessagesAsync(Math.Clamp(maxMessages, 1, 32), options.ProcessingLease, cancellationToken);
        return response.Value.Select(m =>
        {
            var text = m.Body.ToString();
            return new ReceivedWork(m.MessageId, m.PopReceipt, m.DequeueCount, text, Deserialize(text));
        }).ToList();
    }

    public async Task CompleteAsync(ReceivedWork work, CancellationToken cancellationToken)
    {
        try
        {
            await _queue.DeleteMessageAsync(work.MessageId, work.PopReceipt, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // The lease ran out and another worker took and finished it: the work is done either way.
        }
    }

    /// <summary>Hides a failed message before its next attempt: for the configured visibility timeout unless told otherwise.</summary>
    public async Task RetryLaterAsync(ReceivedWork work, CancellationToken cancellationToken, TimeSpan? after = null)
    {
        try
        {
            await _queue.UpdateMessageAsync(work.MessageId, work.PopReceipt, visibilityTimeout: after ?? options.VisibilityTimeout, cancellationToken: cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // Already taken by another worker.
        }
    }

    /// <summary>Moves a message that keeps failing to <c>journey-work-poison</c>, where operators can see and requeue it.</summary>
    public async Task MoveToPoisonAsync(ReceivedWork work, CancellationToken cancellationToken)
    {
        await _poison.SendMessageAsync(work.Text, TimeSpan.Zero, NeverExpires, cancellationToken);
        await CompleteAsync(work, cancellationToken);
    }

    public async Task<IReadOnlyList<PeekedMessage>> PeekPoisonAsync(CancellationToken cancellationToken)
    {
        var response = await _poison.PeekMessagesAsync(32, cancellationToken);
        return response.Value;
    }

    /// <summary>Moves every poison message back to the work queue for another try.</summary>
    public async Task<int> RequeuePoisonAsync(CancellationToken cancellationToken)
    {
        var moved = 0;
        while (true)
        {
            var batch = (await _poison.ReceiveMessagesAsync(32, TimeSpan.FromMinutes(1), cancellationToken)).Value;
            if (batch.Length == 0)
            {
                return moved;
            }
            foreach (var message in batch)
            {
                await _queue.SendMessageAsync(message.Body.ToString(), TimeSpan.Zero, NeverExpires, cancellationToken);
                await _poison.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken);
                moved++;
            }
        }
    }

    public async Task<int> ApproximateCountAsync(CancellationToken cancellationToken) =>
        (await _queue.GetPropertiesAsync(cancellationToken)).Value.ApproximateMessagesCount;
}
