using System.Diagnostics.Metrics;
using Retention.Core.Definitions;
using Retention.Core.Ports;

namespace Retention.Storage.Engine;

/// <summary>The runtime's counters and histograms, exported by the host (Prometheus at <c>/metrics</c>).</summary>
public sealed class RuntimeMetrics : IDisposable
{
    public const string MeterName = "Retention.Runtime";

    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _inputs;
    private readonly Counter<long> _steps;
    private readonly Counter<long> _messages;
    private readonly Counter<long> _poison;
    private readonly Counter<long> _conflicts;
    private readonly Counter<long> _sla;
    private readonly Histogram<double> _lateness;

    public RuntimeMetrics()
    {
        _inputs = _meter.CreateCounter<long>("retention_instance_inputs", description: "Inputs applied to instances, by kind and result");
        _steps = _meter.CreateCounter<long>("retention_steps_executed", description: "History entries written by journey steps");
        _messages = _meter.CreateCounter<long>("retention_messages", description: "Messages dispatched, by channel and status");
        _poison = _meter.CreateCounter<long>("retention_poison_messages", description: "Work messages moved to the poison queue");
        _conflicts = _meter.CreateCounter<long>("retention_commit_conflicts", description: "ETag conflicts retried");
        _sla = _meter.CreateCounter<long>("retention_sla_thresholds", description: "SLA clock thresholds reached: warnings before a target, breaches at or after it");
        _lateness = _meter.CreateHistogram<double>("retention_timer_lateness", unit: "s", description: "How late timers fired",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60] });
    }

    public void InputApplied(string kind, bool changed) => _inputs.Add(1, new("kind", kind), new("result", changed ? "applied" : "ignored"));

    public void StepsExecuted(IReadOnlyList<Retention.Core.Runtime.HistoryEntry> history)
    {
        _steps.Add(history.Count);
        foreach (var entry in history)
        {
            if (entry.Kind is "sla-warning" or "sla-breach")
            {
                _sla.Add(1, new KeyValuePair<string, object?>("kind", entry.Kind == "sla-warning" ? "warning" : "breach"));
            }
        }
    }

    public void MessageDispatched(MessageChannel channel, SendStatus status) =>
        _messages.Add(1, new("channel", channel.ToString().ToLowerInvariant()), new("status", status.ToString().ToLowerInvariant()));

    public void Poisoned() => _poison.Add(1);

    public void Conflict() => _conflicts.Add(1);

    public void TimerLateness(TimeSpan lateness) => _lateness.Record(Math.Max(0, lateness.TotalSeconds));

    public void Dispose() => _meter.Dispose();
}
