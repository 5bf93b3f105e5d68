namespace Retention.Storage.Work;

/// <summary>
/// Tells the local poller when a message it enqueued becomes visible, so a timer set by this process fires on time
/// without polling fast when idle.
/// </summary>
public sealed class WakeSignal(TimeProvider time)
{
    private readonly Lock _lock = new();
    private readonly SortedSet<DateTimeOffset> _wakeAt = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void At(DateTimeOffset visibleAt)
    {
        lock (_lock)
        {
            if (_wakeAt.Count > 10_000)
            {
                _wakeAt.Remove(_wakeAt.Max);
            }
            _wakeAt.Add(visibleAt);
            _changed.TrySetResult();
        }
    }

    /// <summary>Waits up to <paramref name="max"/>, or until the earliest wake time, whichever is sooner.</summary>
    public async Task WaitAsync(TimeSpan max, CancellationToken cancellationToken)
    {
        var until = time.GetUtcNow() + max;
        while (!cancellationToken.IsCancellationRequested)
        {
            var now = time.GetUtcNow();
            Task changed;
            DateTimeOffset wakeAt;
            lock (_lock)
            {
                if (_wakeAt.Count > 0 && _wakeAt.Min <= now)
                {
                    _wakeAt.RemoveWhere(t => t <= now);
                    return; // something this process enqueued is visible now
                }
                wakeAt = _wakeAt.Count > 0 && _wakeAt.Min < until ? _wakeAt.Min : until;
                if (_changed.Task.IsCompleted)
                {
                    _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }
                changed = _changed.Task;
            }
            if (wakeAt <= now)
            {
                return;
            }
            await Task.WhenAny(Task.Delay(wakeAt - now, time, cancellationToken), changed).ConfigureAwait(false);
            if (time.GetUtcNow() >= until)
            {
                return;
            }
        }
    }
}
