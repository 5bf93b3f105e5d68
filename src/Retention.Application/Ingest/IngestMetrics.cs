using System.Diagnostics.Metrics;
using Retention.Storage.Ingest;

namespace Retention.Application.Ingest;

/// <summary>
/// Ingest figures, exported at <c>/metrics</c>: events accepted by type, rejected requests by reason, and the inbox
/// behind them (events waiting, the oldest one's age, events applied and set aside).
/// </summary>
public sealed class IngestMetrics : IDisposable
{
    public const string MeterName = "Retention.Ingest";

    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _ingested;
    private readonly Counter<long> _duplicates;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _applied;
    private readonly Counter<long> _poisoned;
    private readonly TimeProvider _time;
    private InboxBacklog _backlog = InboxBacklog.Empty;
    private int _drainLanes;

    public IngestMetrics(TimeProvider time)
    {
        _time = time;
        _ingested = _meter.CreateCounter<long>("retention_events_ingested", description: "Webhook events accepted, by event type");
        _duplicates = _meter.CreateCounter<long>("retention_events_duplicate", description: "Webhook events acknowledged as repeats of accepted ones");
        _rejected = _meter.CreateCounter<long>("retention_events_rejected", description: "Webhook requests rejected, by reason");
        _applied = _meter.CreateCounter<long>("retention_ingest_applied", description: "Accepted events applied from the inbox (profiles, aggregates, journeys)");
        _poisoned = _meter.CreateCounter<long>("retention_ingest_poisoned", description: "Accepted events set aside after failing repeatedly");
        _meter.CreateObservableGauge("retention_ingest_backlog", () => (long)Backlog.Events, description: "Accepted events not yet applied, as last measured");
        _meter.CreateObservableGauge("retention_ingest_backlog_age_seconds", () => Backlog.Age(_time.GetUtcNow()).TotalSeconds,
            description: "How long the oldest accepted event not yet applied has waited, as last measured");
        _meter.CreateObservableGauge("retention_ingest_drain_lanes", () => (long)DrainLanes,
            description: "Customers the drain applies at once, as paced by the storage's answer times");
    }

    /// <summary>The drain's current pace on this replica: customers applied at once.</summary>
    public int DrainLanes
    {
        get => Volatile.Read(ref _drainLanes);
        set => Volatile.Write(ref _drainLanes, value);
    }

    /// <summary>
    /// The inbox as last measured by this replica (the drain measures it as it goes), plus what this replica accepted
    /// since: the gauge <c>/healthz</c> reports, so a probe reads no table.
    /// </summary>
    public InboxBacklog Backlog
    {
        get => Volatile.Read(ref _backlog);
        set => Volatile.Write(ref _backlog, value);
    }

    /// <summary>A request's events accepted into the inbox by this replica: the backlog grows until the drain measures it again.</summary>
    public void Accepted(int events)
    {
        if (events <= 0)
        {
            return;
        }
        var now = _time.GetUtcNow();
        InboxBacklog seen, grown;
        do
        {
            seen = Backlog;
            grown = seen with { Requests = seen.Requests + 1, Events = seen.Events + events, OldestAcceptedAt = seen.OldestAcceptedAt ?? now };
        }
        while (!ReferenceEquals(Interlocked.CompareExchange(ref _backlog, grown, seen), seen));
    }

    public void Ingested(string type) => _ingested.Add(1, new KeyValuePair<string, object?>("type", type));

    public void Duplicates(int count)
    {
        if (count > 0)
        {
            _duplicates.Add(count);
        }
    }

    /// <param name="reason">A fixed, low-cardinality reason: invalid, unsigned, bad_signature, replayed, unknown_source, too_large, rate_limited, unsupported_media_type.</param>
    public void Rejected(string reason) => _rejected.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void Applied(int count) => _applied.Add(count);

    public void Poisoned(int count) => _poisoned.Add(count);

    public void Dispose() => _meter.Dispose();
}
