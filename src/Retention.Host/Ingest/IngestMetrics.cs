using System.Diagnostics.Metrics;

namespace Retention.Host.Ingest;

/// <summary>Webhook ingest counters, exported at <c>/metrics</c>: events accepted by type, and rejected requests by reason.</summary>
public sealed class IngestMetrics : IDisposable
{
    public const string MeterName = "Retention.Ingest";

    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _ingested;
    private readonly Counter<long> _duplicates;
    private readonly Counter<long> _rejected;

    public IngestMetrics()
    {
        _ingested = _meter.CreateCounter<long>("retention_events_ingested", description: "Webhook events accepted, by event type");
        _duplicates = _meter.CreateCounter<long>("retention_events_duplicate", description: "Webhook events acknowledged as repeats of accepted ones");
        _rejected = _meter.CreateCounter<long>("retention_events_rejected", description: "Webhook requests rejected, by reason");
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

    public void Dispose() => _meter.Dispose();
}
