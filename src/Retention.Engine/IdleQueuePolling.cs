using System.Collections.Concurrent;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Retention.Engine;

/// <summary>
/// Long polling for the task hub's queues, on the client side: DTFx polls each control queue and the work-item queue at
/// least every <c>maxQueuePollingInterval</c> (2 s) even when nothing can be there, which costs an idle worker about 150
/// storage requests a minute. This policy, in the pipeline of every queue client DTFx makes for this process, sees each
/// message this process puts (starts, raised events, timers with their visibility delay, activities and their results,
/// messages abandoned for a retry) and so knows when one of its queues can next have a message. A receive from a queue
/// whose last receive came back empty is held until then: at once after a put, at a timer message's visible time, and
/// otherwise at most <paramref name="idleInterval"/> after that empty receive, which is how soon a message put by another
/// process (another worker, a client elsewhere) or a message whose lock lapsed is seen.
/// </summary>
/// <remarks>
/// A message's visible time is taken from its put (sent time plus its visibility timeout, whole seconds); it is kept until
/// a receive a second after it has come back empty, since the service's own clock and rounding decide the exact moment.
/// </remarks>
public sealed class IdleQueuePolling(TimeSpan idleInterval, TimeProvider time) : HttpPipelinePolicy
{
    private static readonly TimeSpan VisibleSlack = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, QueueWatch> _queues = new(StringComparer.Ordinal);

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        var (queue, call) = Classify(message.Request);
        var sentAt = time.GetUtcNow();
        ProcessNext(message, pipeline);
        Observe(queue, call, message, sentAt);
    }

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        var (queue, call) = Classify(message.Request);
        if (call == QueueCall.Receive && queue is not null)
        {
            await WaitForWorkAsync(Watch(queue), message.CancellationToken);
        }
        var sentAt = time.GetUtcNow();
        await ProcessNextAsync(message, pipeline);
        Observe(queue, call, message, sentAt);
    }

    /// <summary>Returns when the queue may have a message: it had one last time, a put made one visible, or the idle interval passed.</summary>
    private async Task WaitForWorkAsync(QueueWatch watch, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task woken;
            TimeSpan wait;
            lock (watch)
            {
                var now = time.GetUtcNow();
                if (watch.Busy || watch.LastEmpty is not { } lastEmpty)
                {
                    return;
                }
                var until = lastEmpty + idleInterval;
                if (watch.Visible.Count > 0 && watch.Visible.Min < until)
                {
                    until = watch.Visible.Min;
                }
                if (until <= now)
                {
                    return;
                }
                wait = until - now;
                woken = watch.Woken.Task;
            }
            using var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var delay = Task.Delay(wait, time, waiting.Token);
            await Task.WhenAny(woken, delay);
            await waiting.CancelAsync(); // the delay's timer goes with it when a put woke the queue first
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    private void Observe(string? queue, QueueCall call, HttpMessage message, DateTimeOffset sentAt)
    {
        if (queue is null || call == QueueCall.Other || !message.HasResponse || message.Response.IsError)
        {
            return;
        }
        var watch = Watch(queue);
        lock (watch)
        {
            switch (call)
            {
                case QueueCall.Receive:
                    watch.Busy = message.Response.Content.ToString().Contains("<QueueMessage>", StringComparison.Ordinal);
                    watch.LastEmpty = watch.Busy ? null : sentAt;
                    if (!watch.Busy)
                    {
                        watch.Visible.RemoveWhere(at => at + VisibleSlack <= sentAt);
                    }
                    break;
                case QueueCall.Put:
                    watch.Visible.Add(sentAt + VisibilityTimeoutOf(message.Request));
                    var woken = watch.Woken;
                    watch.Woken = new(TaskCreationOptions.RunContinuationsAsynchronously);
                    woken.TrySetResult();
                    break;
            }
        }
    }

    private QueueWatch Watch(string queue) => _queues.GetOrAdd(queue, _ => new QueueWatch());

    /// <summary>The queue a request is for (the path's segment before <c>messages</c>) and what it does to it.</summary>
    private static (string? Queue, QueueCall Call) Classify(Request request)
    {
        var segments = request.Uri.Path.Trim('/').Split('/');
        var at = Array.LastIndexOf(segments, "messages");
        if (at < 1)
        {
            return (null, QueueCall.Other);
        }
        var queue = segments[at - 1];
        var query = request.Uri.Query;
        var call = request.Method == RequestMethod.Get && at == segments.Length - 1 && !query.Contains("peekonly=true", StringComparison.OrdinalIgnoreCase) ? QueueCall.Receive
            : request.Method == RequestMethod.Post && at == segments.Length - 1 ? QueueCall.Put
            : request.Method == RequestMethod.Put && query.Contains("visibilitytimeout=", StringComparison.OrdinalIgnoreCase) ? QueueCall.Put // an abandon or a renewed lock: visible again then
            : QueueCall.Other;
        return (queue, call);
    }

    private static TimeSpan VisibilityTimeoutOf(Request request)
    {
        foreach (var pair in request.Uri.Query.TrimStart('?').Split('&'))
        {
            if (pair.StartsWith("visibilitytimeout=", StringComparison.OrdinalIgnoreCase)
                && int.TryParse(pair.AsSpan("visibilitytimeout=".Length), System.Globalization.CultureInfo.InvariantCulture, out var seconds))
            {
                return TimeSpan.FromSeconds(seconds);
            }
        }
        return TimeSpan.Zero;
    }

    private enum QueueCall { Other, Receive, Put }

    private sealed class QueueWatch
    {
        /// <summary>The last receive returned messages: the next goes at once.</summary>
        public bool Busy { get; set; }

        /// <summary>When the last receive that came back empty was sent; null before any, or after one that returned messages.</summary>
        public DateTimeOffset? LastEmpty { get; set; }

        /// <summary>When messages this process put become visible, until a receive after that comes back empty.</summary>
        public SortedSet<DateTimeOffset> Visible { get; } = [];

        public TaskCompletionSource Woken { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
