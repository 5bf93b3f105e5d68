namespace Retention.Application.Ingest;

/// <summary>What the store answered to one lane's turn, as the drain's pace judges it.</summary>
public enum StoreAnswer
{
    /// <summary>The turn ended before the store answered, or for a reason that says nothing about the store's pace.</summary>
    None,

    /// <summary>The store answered the turn's requests.</summary>
    Answered,

    /// <summary>The store said it is busy (429 or 503): it asks its callers to slow down.</summary>
    Busy,
}

/// <summary>A lane's turn to apply one event, from <see cref="DrainPace.EnterAsync"/>; hand it back to <see cref="DrainPace.Exit"/>.</summary>
/// <param name="Generation">The pace's generation when the turn began: a turn from before a back-off does not cause another.</param>
public readonly record struct DrainTurn(long Generation);

/// <summary>
/// How many customers the drain applies at once, paced by the store's own back-pressure: a busy answer (429, 503),
/// which is how an Azure account says a partition or the account is past its targets, halves the lanes at once, once
/// per generation (the turns already in flight when it halved, sent at the old pace, do not halve it again); every
/// window of as many answers as lanes adds one, up to <see cref="IngestDrainOptions.Parallelism"/> (additive
/// increase, multiplicative decrease, as TCP finds a link's pace). One lane always goes on, so a backlog drains
/// however busy the store is.
/// <para>
/// Answer times are not a signal. They were (a window's median against the fastest of the last 30 s), and on a
/// machine whose cores other work shares every window looked like queueing: the emulator, which never answers busy,
/// got one to two lanes of the 32 while it used a few per cent of a core, and a month-end burst's backlog grew at
/// 2 events/s applied. An account that is slow as a matter of course (25 ms in Azure) needs the full parallelism
/// anyway; one that is overloaded says so.
/// </para>
/// </summary>
public sealed class DrainPace
{
    private readonly Lock _gate = new();
    private readonly Queue<TaskCompletionSource> _waiting = new();
    private int _maximum;
    private int _limit;
    private int _inFlight;
    private int _answered;
    private long _generation;

    public DrainPace(int maximum)
    {
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
            if (answer == StoreAnswer.Busy)
            {
                if (turn.Generation == _generation)
                {
                    _limit = Math.Max(1, _limit / 2);
                    _generation++;
                    _answered = 0;
                }
            }
            else if (answer == StoreAnswer.Answered && ++_answered >= _limit)
            {
                _answered = 0;
                _limit = Math.Min(_maximum, _limit + 1);
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
}
