using System.Diagnostics.Metrics;
using Retention.Journeys;

namespace Retention.Benchmarks;

/// <summary>
/// Listens to the orchestrator's own metrics (meter <c>Retention.Journeys</c>): <c>retention_timer_lateness</c>, the
/// seconds past its due time at which a timer was acted on, and <c>retention_messages</c>, the sends dispatched.
/// </summary>
public sealed class JourneyProbe : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly Lock _gate = new();
    private List<double> _lateness = [];
    private long _messages;

    public JourneyProbe()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == JourneyMetrics.MeterName && instrument.Name is "retention_timer_lateness" or "retention_messages")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>((_, value, _, _) =>
        {
            lock (_gate)
            {
                _lateness.Add(value);
            }
        });
        _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _messages, value));
        _listener.Start();
    }

    public long Messages => Interlocked.Read(ref _messages);

    /// <summary>The lateness recorded since the last call, in seconds.</summary>
    public double[] TakeLateness()
    {
        lock (_gate)
        {
            var taken = _lateness;
            _lateness = [];
            return [.. taken];
        }
    }

    public void Dispose() => _listener.Dispose();
}
