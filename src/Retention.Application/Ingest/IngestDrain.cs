using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Retention.Core.Events;
using Retention.Core.Ports;

namespace Retention.Application.Ingest;

/// <summary><c>Retention:Ingest</c>: how the inbox is drained.</summary>
public sealed class IngestDrainOptions
{
    public const string Section = "Retention:Ingest";

    /// <summary>Failed attempts at an event before it is set aside (poisoned) for an operator.</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>The wait after the first failed attempt; each further one doubles it.</summary>
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Requests read per round; each customer's events of a round are applied in order, customers side by side.</summary>
    public int RequestsPerRound { get; set; } = 100;

    /// <summary>The most customers applied at once; fewer while the store answers busy (<see cref="DrainPace"/>).</summary>
    public int Parallelism { get; set; } = 32;

    /// <summary>How long a replica's drain lease lasts unrenewed: how soon another replica takes over from a crashed one.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>What is wrong with these settings, each naming its key; checked at start.</summary>
    public IReadOnlyList<string> Errors()
    {
        var errors = new List<string>();
        void Positive(string key, bool ok)
        {
            if (!ok)
            {
                errors.Add($"{Section}:{key} must be more than zero.");
            }
        }
        Positive(nameof(MaxAttempts), MaxAttempts > 0);
        Positive(nameof(FirstRetryDelay), FirstRetryDelay > TimeSpan.Zero);
        Positive(nameof(RequestsPerRound), RequestsPerRound > 0);
        Positive(nameof(Parallelism), Parallelism > 0);
        Positive(nameof(LeaseDuration), LeaseDuration > TimeSpan.Zero);
        return errors;
    }
}

/// <summary>What one drain round did.</summary>
/// <param name="Requests">Requests read.</param>
/// <param name="Completed">Requests wholly applied and removed.</param>
/// <param name="Held">Requests waiting out a retry delay.</param>
/// <param name="StorageFailed">The round stopped on a storage failure, which says nothing about the events: retry the round later.</param>
public sealed record DrainRound(int Requests, int Completed, int Applied, int Failed, int Poisoned, int Held, bool StorageFailed)
{
    public static readonly DrainRound Idle = new(0, 0, 0, 0, 0, 0, false);

    /// <summary>Another round now may do more: this one finished requests or applied events.</summary>
    public bool Progressed => Completed > 0 || Applied > 0 || Poisoned > 0;

    /// <summary>Two rounds together; what still waits (held, storage) is the later round's.</summary>
    public DrainRound Add(DrainRound later) => new(Requests + later.Requests, Completed + later.Completed, Applied + later.Applied,
        Failed + later.Failed, Poisoned + later.Poisoned, later.Held, later.StorageFailed);
}

/// <summary>
/// Applies accepted events from the inbox behind the webhook's acknowledgement: each event once (the ingest ledger,
/// written last by <see cref="EventIngestor.AcceptAsync(CustomerEvent, CancellationToken)"/>, says what is done), each
/// customer's events in acceptance order, different customers side by side. An event that fails waits with its
/// customer's later events (backing off), and after <see cref="IngestDrainOptions.MaxAttempts"/> it is set aside,
/// visible to operators, so it never blocks the customer for good. A storage failure is not the event's fault: it
/// counts no attempt.
/// </summary>
public sealed class IngestDrain(
    IIngestInbox inbox,
    EventIngestor ingestor,
    IIngestLedger ledger,
    IStorageOutages outages,
    IngestMetrics metrics,
    IOptions<IngestDrainOptions> options,
    TimeProvider time,
    ILogger<IngestDrain> logger) : IDisposable
{
    private readonly string _owner = $"{Environment.MachineName}/{Environment.ProcessId}/{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(6))}";
    private readonly SemaphoreSlim _running = new(1, 1);
    private readonly DrainPace _pace = new(options.Value.Parallelism);
    private DateTimeOffset? _leaseValidUntil;

    private IngestDrainOptions Settings => options.Value;

    /// <summary>
    /// Runs rounds while this replica holds the drain lease and rounds make progress, for at most <paramref name="budget"/>.
    /// Returns what the rounds did together (<see cref="DrainRound.Idle"/> when another replica holds the lease or nothing waits).
    /// </summary>
    public async Task<DrainRound> DrainAsync(TimeSpan budget, CancellationToken cancellationToken)
    {
        await _running.WaitAsync(cancellationToken);
        try
        {
            var until = time.GetUtcNow() + budget;
            var total = DrainRound.Idle;
            // An idle replica lets its lease lapse instead of renewing it at every poll: it looks for work first (one
            // query) and leases only when there is some, so an idle service polls with one request, not three.
            if (!LeaseIsFresh() && !await AnyPendingAsync(cancellationToken))
            {
                return total;
            }
            while (await HoldLeaseAsync(cancellationToken))
            {
                var round = await RunRoundAsync(cancellationToken);
                total = total.Add(round);
                if (!round.Progressed || round.StorageFailed || time.GetUtcNow() >= until)
                {
                    break;
                }
            }
            return total;
        }
        finally
        {
            _running.Release();
        }
    }

    /// <summary>Gives up the lease at shutdown.</summary>
    public async Task ReleaseAsync(CancellationToken cancellationToken)
    {
        if (_leaseValidUntil is not null)
        {
            _leaseValidUntil = null;
            await inbox.ReleaseLeaseAsync(_owner, cancellationToken);
        }
    }

    public void Dispose() => _running.Dispose();

    /// <summary>This replica holds the lease, and a third of it has not yet passed.</summary>
    private bool LeaseIsFresh() => _leaseValidUntil is { } validUntil && time.GetUtcNow() < validUntil - Settings.LeaseDuration * 2 / 3;

    private async Task<bool> AnyPendingAsync(CancellationToken cancellationToken)
    {
        if ((await inbox.ReadPendingAsync(1, cancellationToken)).Count > 0)
        {
            return true;
        }
        metrics.Backlog = InboxBacklog.Empty;
        return false;
    }

    /// <summary>Renews the lease once a third of it has passed, so a round never runs on a lease about to lapse.</summary>
    private async Task<bool> HoldLeaseAsync(CancellationToken cancellationToken)
    {
        if (LeaseIsFresh())
        {
            return true;
        }
        var now = time.GetUtcNow();
        if (await inbox.TryLeaseAsync(_owner, Settings.LeaseDuration, cancellationToken))
        {
            _leaseValidUntil = now + Settings.LeaseDuration;
            return true;
        }
        _leaseValidUntil = null;
        return false;
    }

    /// <summary>One round: the oldest requests, applied as far as each customer's order allows.</summary>
    public async Task<DrainRound> RunRoundAsync(CancellationToken cancellationToken)
    {
        var settings = Settings;
        var now = time.GetUtcNow();
        var requests = await inbox.ReadPendingAsync(settings.RequestsPerRound, cancellationToken);
        if (requests.Count < settings.RequestsPerRound)
        {
            metrics.Backlog = new InboxBacklog(requests.Count, requests.Sum(r => r.Events.Count), requests.Count > 0 ? requests[0].AcceptedAt : null, Capped: false);
        }
        if (requests.Count == 0)
        {
            return DrainRound.Idle;
        }

        // Each customer's lane holds their events in acceptance order; a customer with an event waiting out a retry
        // delay gets no lane past it.
        var blocked = new HashSet<string>(StringComparer.Ordinal);
        var lanes = new Dictionary<string, List<(int Request, int Event)>>(StringComparer.Ordinal);
        var held = 0;
        for (var r = 0; r < requests.Count; r++)
        {
            var request = requests[r];
            if (request.NotBefore > now)
            {
                held++;
                blocked.UnionWith(request.Events.Select(e => e.CustomerId));
                continue;
            }
            for (var i = 0; i < request.Events.Count; i++)
            {
                var customerId = request.Events[i].CustomerId;
                if (blocked.Contains(customerId))
                {
                    continue;
                }
                if (!lanes.TryGetValue(customerId, out var lane))
                {
                    lanes[customerId] = lane = [];
                }
                lane.Add((r, i));
            }
        }

        var done = requests.Select(r => new bool[r.Events.Count]).ToArray();
        var failures = new ConcurrentDictionary<int, ConcurrentBag<(int Event, Exception Error)>>();
        var storageFailed = 0;
        var applied = 0;
        _pace.Resize(settings.Parallelism);
        await Parallel.ForEachAsync(lanes.Values, new ParallelOptions { MaxDegreeOfParallelism = settings.Parallelism, CancellationToken = cancellationToken }, async (lane, ct) =>
        {
            foreach (var (r, i) in lane)
            {
                var e = requests[r].Events[i];
                var turn = await _pace.EnterAsync(ct);
                var answer = StoreAnswer.None;
                try
                {
                    var seen = await ledger.SeenAsync(e.Source, e.Id, ct);
                    answer = StoreAnswer.Answered;
                    if (!seen)
                    {
                        await ingestor.AcceptAsync(e, ct);
                        Interlocked.Increment(ref applied);
                    }
                    done[r][i] = true;
                }
                catch (Exception error) when (!ct.IsCancellationRequested)
                {
                    if (outages.IsOutage(error, ct))
                    {
                        Interlocked.Increment(ref storageFailed);
                        if (outages.IsBusy(error))
                        {
                            answer = StoreAnswer.Busy;
                        }
                    }
                    else
                    {
                        failures.GetOrAdd(r, _ => []).Add((i, error));
                    }
                    return; // the customer's later events wait for this one
                }
                finally
                {
                    _pace.Exit(turn, answer);
                }
            }
        });
        metrics.Applied(applied);
        metrics.DrainLanes = _pace.Limit;

        var completed = Enumerable.Range(0, requests.Count).Where(r => done[r].All(d => d)).Select(r => requests[r].Key).ToList();
        await inbox.CompleteAsync(completed, cancellationToken);
        var poisoned = 0;
        foreach (var (r, failed) in failures)
        {
            poisoned += await RecordFailureAsync(requests[r], done[r], failed, now, cancellationToken);
        }
        if (storageFailed > 0)
        {
            logger.IngestDrainStorageFailed(storageFailed);
        }
        return new DrainRound(requests.Count, completed.Count, applied, failures.Values.Sum(f => f.Count), poisoned, held, storageFailed > 0);
    }

    /// <summary>Holds the request back for a retry, or past the last attempt sets its failed events aside; returns how many were.</summary>
    private async Task<int> RecordFailureAsync(InboxRequest request, bool[] done, IReadOnlyCollection<(int Event, Exception Error)> failed, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var attempts = request.Attempts + 1;
        var first = failed.MinBy(f => f.Event);
        // The exception's type and message, never the event's data: the message of our own code names fields, not values.
        var error = $"{first.Error.GetType().Name}: {first.Error.Message}";
        foreach (var (index, exception) in failed)
        {
            var e = request.Events[index];
            logger.IngestEventFailed(exception.GetType().Name, e.Type, e.CustomerId, attempts, Settings.MaxAttempts);
        }
        if (attempts < Settings.MaxAttempts)
        {
            var delay = Settings.FirstRetryDelay * Math.Pow(2, attempts - 1);
            await inbox.DeferAsync(request.Key, attempts, now + delay, error, cancellationToken);
            return 0;
        }
        var failedIndexes = failed.Select(f => f.Event).Order().ToList();
        var remaining = Enumerable.Range(0, done.Length).Where(i => !done[i] && !failedIndexes.Contains(i)).ToList();
        await inbox.PoisonAsync(request, failedIndexes, remaining, attempts, error, cancellationToken);
        metrics.Poisoned(failedIndexes.Count);
        foreach (var index in failedIndexes)
        {
            logger.IngestEventPoisoned(request.Events[index].Type, request.Events[index].CustomerId, attempts);
        }
        return failedIndexes.Count;
    }
}
