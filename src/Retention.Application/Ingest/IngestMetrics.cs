using System.Diagnostics.Metrics;
using Retention.Core.Events;
using Retention.Core.Ports;

namespace Retention.Application.Ingest;

/// <summary>What became of an Event Grid request or event (<c>/api/events/eventgrid</c>), as its metric names it.</summary>
public enum EventGridOutcome
{
    /// <summary>A subscription handshake answered (the Event Grid schema's validation event, or the CloudEvents OPTIONS).</summary>
    Handshake,

    /// <summary>An event acted on: an inbound SMS taken in, a delivery report recorded.</summary>
    Handled,

    /// <summary>An event received but not acted on: a type the service does not use, a report for no message it sent.</summary>
    Ignored,

    /// <summary>A request refused as not valid (400), counted once.</summary>
    Rejected,

    /// <summary>A request with a missing or wrong key (401), counted once.</summary>
    Unauthorized,
}

/// <summary>
/// Ingest figures, exported at <c>/metrics</c>: events accepted by type, rejected requests by reason, Event Grid outcomes,
/// and the inbox behind them (events waiting, the oldest one's age, events applied and set aside).
/// </summary>
public sealed class IngestMetrics : IDisposable
{
    public const string MeterName = "Retention.Ingest";

    /// <summary>The rejection reason of a request that found storage unreachable.</summary>
    public const string StorageUnavailableReason = "storage_unavailable";

    /// <summary>The type label of an accepted event of a custom type (not one of the contract's).</summary>
    private const string CustomType = "custom";

    private readonly Meter _meter;
    private readonly Counter<long> _ingested;
    private readonly Counter<long> _duplicates;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _applied;
    private readonly Counter<long> _poisoned;
    private readonly Counter<long> _eventGrid;
    private readonly TimeProvider _time;
    private InboxBacklog _backlog = InboxBacklog.Empty;
    private long _backlogMeasuredAtTicks = DateTimeOffset.MinValue.UtcTicks;
    private int _drainLanes;

    /// <param name="meters">The host's meter factory, which owns the meter; a new meter where no host runs. Meters are still found by name, so hosts sharing a process (tests) can see each other's figures.</param>
    public IngestMetrics(TimeProvider time, IMeterFactory? meters = null)
    {
        _time = time;
        _meter = meters?.Create(MeterName) ?? new Meter(MeterName);
        _ingested = _meter.CreateCounter<long>("retention_events_ingested", description: "Webhook events accepted, by event type");
        _duplicates = _meter.CreateCounter<long>("retention_events_duplicate", description: "Webhook events acknowledged as repeats of accepted ones");
        _rejected = _meter.CreateCounter<long>("retention_events_rejected", description: "Webhook requests rejected, by reason");
        _applied = _meter.CreateCounter<long>("retention_ingest_applied", description: "Accepted events applied from the inbox (profiles, aggregates, journeys)");
        _poisoned = _meter.CreateCounter<long>("retention_ingest_poisoned", description: "Accepted events set aside after failing repeatedly");
        _eventGrid = _meter.CreateCounter<long>("retention_eventgrid_events",
            description: "Event Grid events by outcome (handled, ignored); handshakes and refused requests (rejected, unauthorized) counted once each");
        _meter.CreateObservableGauge("retention_ingest_backlog", () => (long)Backlog.Events, description: "Accepted events not yet applied, as last measured");
        _meter.CreateObservableGauge("retention_ingest_backlog_age_seconds", () => Backlog.Age(_time.GetUtcNow()).TotalSeconds,
            description: "How long the oldest accepted event not yet applied has waited, as last measured");
        _meter.CreateObservableGauge("retention_ingest_drain_lanes", () => (long)DrainLanes,
            description: "Customers the drain applies at once, as paced by the store's answers (busy answers, slowdowns)");
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
        set
        {
            Volatile.Write(ref _backlog, value);
            Interlocked.Exchange(ref _backlogMeasuredAtTicks, _time.GetUtcNow().UtcTicks);
        }
    }

    /// <summary>When <see cref="Backlog"/> was last measured (set), not counting what was accepted since.</summary>
    public DateTimeOffset BacklogMeasuredAt => new(Interlocked.Read(ref _backlogMeasuredAtTicks), TimeSpan.Zero);

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


    /// <summary>
    /// Every counter at zero, for each label value known in advance, so each family is exported from the start and a
    /// rate over it has a beginning. Called once the metrics are listened to (see the host's composition).
    /// </summary>
    public void StartAtZero()
    {
        foreach (var type in CloudEventReader.KnownTypes.Append(CustomType))
        {
            _ingested.Add(0, Label("type", type));
        }
        _duplicates.Add(0);
        foreach (var reason in Enum.GetValues<WebhookRefusal>().Select(ReasonOf).Append(StorageUnavailableReason))
        {
            _rejected.Add(0, Label("reason", reason));
        }
        _applied.Add(0);
        _poisoned.Add(0);
        foreach (var outcome in Enum.GetValues<EventGridOutcome>())
        {
            EventGrid(outcome, 0);
        }
    }

    private static KeyValuePair<string, object?> Label(string name, string value) => new(name, value);

    /// <summary>An accepted event, labelled by its type when the contract names it, <c>custom</c> otherwise.</summary>
    public void Ingested(string type) => _ingested.Add(1, Label("type", CloudEventReader.IsKnownType(type) ? type : CustomType));

    public void Duplicates(int count)
    {
        if (count > 0)
        {
            _duplicates.Add(count);
        }
    }

    /// <param name="reason">A fixed, low-cardinality reason: one of <see cref="ReasonOf"/>'s, or <see cref="StorageUnavailableReason"/>.</param>
    public void Rejected(string reason) => _rejected.Add(1, Label("reason", reason));

    /// <summary>The reason as the rejection metric has always named it.</summary>
    public static string ReasonOf(WebhookRefusal reason) => reason switch
    {
        WebhookRefusal.UnsupportedMediaType => "unsupported_media_type",
        WebhookRefusal.TooLarge => "too_large",
        WebhookRefusal.Unsigned => "unsigned",
        WebhookRefusal.Invalid => "invalid",
        WebhookRefusal.UnknownSource => "unknown_source",
        WebhookRefusal.BadSignature => "bad_signature",
        WebhookRefusal.RateLimited => "rate_limited",
        WebhookRefusal.Replayed => "replayed",
        _ => throw new InvalidOperationException($"Unhandled refusal {reason}."),
    };

    public void EventGrid(EventGridOutcome outcome, int count = 1) => _eventGrid.Add(count, Label("outcome", outcome.ToString().ToLowerInvariant()));

    public void Applied(int count) => _applied.Add(count);

    public void Poisoned(int count) => _poisoned.Add(count);

    public void Dispose() => _meter.Dispose();
}
