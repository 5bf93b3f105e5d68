namespace Retention.Application.Ingest;

/// <summary>What the store answered to one lane's turn, as the drain's pace judges it.</summary>
/// <param name="ReadTime">How long the turn's first storage read (a point read) took; null when it made none.</param>
/// <param name="Busy">The store said it is busy (429 or 503): it asks its callers to slow down.</param>
public readonly record struct StoreAnswer(TimeSpan? ReadTime, bool Busy)
{
    /// <summary>A turn that ended before its read, for a reason that says nothing about the store's pace.</summary>
    public static readonly StoreAnswer None = new(null, false);

    /// <summary>A turn whose read the store turned away as busy.</summary>
    public static readonly StoreAnswer ServerBusy = new(null, true);

    public static StoreAnswer Read(TimeSpan readTime) => new(readTime, false);
}

/// <summary>A lane's turn to apply one event, from <see cref="DrainPace.EnterAsync"/>; hand it back to <see cref="DrainPace.Exit"/>.</summary>
/// <param name="Generation">The pace's generation when the turn began: a turn from before a back-off does not cause another.</param>
public readonly record struct DrainTurn(long Generation);

/// <summary>
/// How many customers the drain applies at once, found from the store's own signals, not from an absolute answer
/// time (an Azure account answers a point read in 25 ms as a matter of course; an emulator in 2 ms). The storage
/// account also serves the webhook's acknowledgement, the admin API and the journeys, so the drain takes what it can
/// without slowing them:
/// <list type="bullet">
/// <item>A busy answer (429, 503) halves the lanes at once, once per generation: the turns already in flight when it
/// halved, which were sent at the old pace, do not halve it again.</item>
/// <item>Over each window of as many reads as lanes (at least <see cref="MinimumWindow"/>), the median read time is compared with the store's baseline,
/// the fastest window median of the last <see cref="BaselineMemory"/>: more than <see cref="IngestDrainOptions.ReadSlowdown"/>
/// times it (and more than <see cref="Noise"/> above it) means the drain's own load is queueing in the store, and
/// halves the lanes; otherwise one lane is added, up to <see cref="IngestDrainOptions.Parallelism"/> (additive increase,
/// multiplicative decrease, as TCP finds a link's pace). A store that is steadily slow is not slowed further.</item>
/// <item>The baseline forgets after <see cref="BaselineMemory"/> unless a slowdown above one lane confirms it, so a
/// store that has become slower for good (more data, another tier) is judged, once the drain is down to one lane, by
/// its new pace, not by a fast moment long ago.</item>
/// </list>
/// One lane always goes on, so a backlog drains however busy the store is.
/// </summary>
public sealed class DrainPace
{
    /// <summary>How long a fast window median stands as the store's baseline.</summary>
    public static readonly TimeSpan BaselineMemory = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The fewest reads a window is judged on. A store's reads jitter (a garbage collection, another tenant, a busy
    /// machine): with a window of one read per lane, a few lanes' median was one jittery read, the fastest such
    /// "median" of the last <see cref="BaselineMemory"/> a lucky one, and the next ordinary read three times it, so the
    /// pace sat at one or two lanes on a store with room to spare (measured: 2 events/s applied, a lane's turn waited
    /// for 4.8 s on average). The median of this many reads moves with the store's pace, not its jitter.
    /// </summary>
    public const int MinimumWindow = 16;

    /// <summary>A slowdown smaller than this is the store's jitter, not queueing (a 1 ms baseline read in 3 ms is no signal).</summary>
    public static readonly TimeSpan Noise = TimeSpan.FromMilliseconds(5);

    private readonly Lock _gate = new();
    private readonly Queue<TaskCompletionSource> _waiting = new();
    private readonly List<TimeSpan> _window = [];
    // The window medians that may still become the baseline: ascending, so the first is the fastest of the last
    // BaselineMemory (a later, faster median makes every slower one before it irrelevant).
    private readonly LinkedList<(DateTimeOffset At, TimeSpan Median)> _baselineCandidates = new();
    private readonly double _slowdown;
    private readonly TimeProvider _time;
    private int _maximum;
    private int _limit;
    private int _inFlight;
    private long _generation;

    public DrainPace(int maximum, double slowdown, TimeProvider time)
    {
        _slowdown = slowdown;
        _time = time;
        _maximum = Math.Max(1, maximum);
        _limit = Math.Min(_maximum, 4);
    }

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
    public async ValueTask<DrainTurn> EnterAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource turn;
        lock (_gate)
        {
            if (_inFlight < _limit && _waiting.Count == 0)
            {
                _inFlight++;
                return new DrainTurn(_generation);
            }
            turn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiting.Enqueue(turn);
        }
        await using (cancellationToken.Register(() => turn.TrySetCanceled(cancellationToken)))
        {
            await turn.Task;
        }
        lock (_gate)
        {
            return new DrainTurn(_generation);
        }
    }

    /// <summary>Ends a lane's turn with what the store answered to it.</summary>
    public void Exit(DrainTurn turn, StoreAnswer answer)
    {
        lock (_gate)
        {
            _inFlight--;
            if (answer.Busy)
            {
                if (turn.Generation == _generation)
                {
                    BackOff();
                }
            }
            else if (answer.ReadTime is { } sample)
            {
                _window.Add(sample);
                if (_window.Count >= Math.Max(_limit, MinimumWindow))
                {
                    Judge();
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

    private void BackOff()
    {
        _limit = Math.Max(1, _limit / 2);
        _generation++;
        _window.Clear();
    }

    private void Judge()
    {
        _window.Sort();
        var median = _window[_window.Count / 2];
        _window.Clear();
        var now = _time.GetUtcNow();
        while (_baselineCandidates.First is { } oldest && now - oldest.Value.At > BaselineMemory)
        {
            _baselineCandidates.RemoveFirst();
        }
        while (_baselineCandidates.Last is { } slower && slower.Value.Median >= median)
        {
            _baselineCandidates.RemoveLast();
        }
        _baselineCandidates.AddLast((now, median));
        var fastest = _baselineCandidates.First!;
        var baseline = fastest.Value.Median;
        if (median > baseline * _slowdown && median - baseline > Noise)
        {
            // Above one lane, the slowdown is the drain's own load queueing in the store, which confirms the baseline:
            // without this, the loaded answers after each halving would become the baseline in its place, and the
            // lanes would creep up to the maximum. At one lane what the store answers is its own pace, so there the
            // baseline is left to expire.
            if (_limit > 1)
            {
                fastest.Value = (now, baseline);
            }
            BackOff();
        }
        else
        {
            _limit = Math.Min(_maximum, _limit + 1);
        }
    }
}
