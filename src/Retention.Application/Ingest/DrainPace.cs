namespace Retention.Application.Ingest;

/// <summary>
/// How many customers the drain applies at once, found from the storage's own answer times: the storage account also
/// serves the webhook's acknowledgement, the admin API and the journeys, so the drain takes what it can without
/// slowing them. Each applied event reports how long its first storage read took (a point read, whose time is the
/// storage's queueing delay). Over each window of as many reads as lanes, a median above the target halves the
/// lanes, and one below it adds a lane, up to <see cref="IngestDrainOptions.Parallelism"/> (additive increase,
/// multiplicative decrease, as TCP finds a link's pace). One lane always goes on, so a backlog drains however busy
/// the store is.
/// </summary>
public sealed class DrainPace
{
    private readonly Lock _gate = new();
    private readonly Queue<TaskCompletionSource> _waiting = new();
    private readonly List<double> _window = [];
    private int _maximum;
    private int _limit;
    private int _inFlight;

    public DrainPace(int maximum, TimeSpan target)
    {
        Target = target;
        _maximum = Math.Max(1, maximum);
        _limit = Math.Min(_maximum, 4);
    }

    public TimeSpan Target { get; }

    /// <summary>Lanes allowed at once now.</summary>
    public int Limit
    {
        get
        {
            lock (_gate)
            {
                return _limit;
            }
        }
    }

    /// <summary>Follows a changed <see cref="IngestDrainOptions.Parallelism"/>.</summary>
    public void Resize(int maximum)
    {
        lock (_gate)
        {
            _maximum = Math.Max(1, maximum);
            _limit = Math.Min(_limit, _maximum);
        }
    }

    /// <summary>Waits for a lane's turn to apply one event.</summary>
    public async ValueTask EnterAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource turn;
        lock (_gate)
        {
            if (_inFlight < _limit && _waiting.Count == 0)
            {
                _inFlight++;
                turn = null!;
            }
            else
            {
                turn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiting.Enqueue(turn);
            }
        }
        if (turn is not null)
        {
            await using var cancel = cancellationToken.Register(() => turn.TrySetCanceled(cancellationToken));
            await turn.Task;
        }
    }

    /// <summary>Ends a lane's turn, with the answer time of its first storage read (null when it made none).</summary>
    public void Exit(TimeSpan? readTime)
    {
        lock (_gate)
        {
            _inFlight--;
            if (readTime is { } sample)
            {
                _window.Add(sample.TotalMilliseconds);
                if (_window.Count >= _limit)
                {
                    Adjust();
                }
            }
            while (_inFlight < _limit && _waiting.TryDequeue(out var next))
            {
                if (next.TrySetResult())
                {
                    _inFlight++;
                }
            }
        }
    }

    private void Adjust()
    {
        _window.Sort();
        var median = TimeSpan.FromMilliseconds(_window[_window.Count / 2]);
        _window.Clear();
        _limit = median > Target ? Math.Max(1, _limit / 2) : Math.Min(_maximum, _limit + 1);
    }
}
