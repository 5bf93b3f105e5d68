using Microsoft.Extensions.Logging;
using Retention.Storage.Engine;

namespace Retention.Storage.Work;

/// <summary>
/// Polls the work queue in standalone mode: batches of <c>batchSize</c>, a new batch once fewer than
/// <c>newBatchThreshold</c> are in flight, and exponential back-off up to <c>maxPollingInterval</c> when idle,
/// cut short when this process enqueued something that becomes visible sooner.
/// </summary>
public sealed class QueuePoller(WorkQueue queue, WorkHandler handler, WakeSignal wake, ILogger<QueuePoller> logger)
{
    private static readonly TimeSpan MinInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>When the poller last completed a poll: the health check reads it.</summary>
    public DateTimeOffset? LastPollAt { get; private set; }

    public async Task RunAsync(TimeProvider time, CancellationToken cancellationToken)
    {
        var options = queue.Options;
        var inFlight = new HashSet<Task>();
        var idleDelay = MinInterval;
        while (!cancellationToken.IsCancellationRequested)
        {
            inFlight.RemoveWhere(t => t.IsCompleted);
            if (inFlight.Count > options.NewBatchThreshold)
            {
                await Task.WhenAny(inFlight);
                continue;
            }
            IReadOnlyList<ReceivedWork> batch;
            try
            {
                batch = await queue.ReceiveAsync(options.BatchSize, cancellationToken);
                LastPollAt = time.GetUtcNow();
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                logger.PollFailed(e);
                await wake.WaitAsync(options.MaxPollingInterval, cancellationToken);
                continue;
            }
            foreach (var work in batch)
            {
                inFlight.Add(Task.Run(() => handler.ProcessAsync(work, cancellationToken), CancellationToken.None));
            }
            if (batch.Count > 0)
            {
                idleDelay = MinInterval;
                continue;
            }
            await wake.WaitAsync(idleDelay, cancellationToken);
            idleDelay = TimeSpan.FromTicks(Math.Min(idleDelay.Ticks * 2, options.MaxPollingInterval.Ticks));
        }
        await Task.WhenAll(inFlight).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <summary>Receives and processes one batch; what tests and the benchmark use to drive the queue step by step.</summary>
    public async Task<IReadOnlyList<WorkOutcome>> DrainOnceAsync(CancellationToken cancellationToken)
    {
        var batch = await queue.ReceiveAsync(queue.Options.BatchSize, cancellationToken);
        return await Task.WhenAll(batch.Select(w => handler.ProcessAsync(w, cancellationToken)));
    }
}
