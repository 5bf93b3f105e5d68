using System.Diagnostics.Metrics;
using Retention.Core.Definitions;
using Retention.Core.Ports;
using Retention.Core.Runtime;

namespace Retention.Journeys;

/// <summary>The journeys' counters and histograms (Prometheus at <c>/metrics</c>); orchestrations record only when not replaying.</summary>
public sealed class JourneyMetrics : IDisposable
{
    public const string MeterName = "Retention.Journeys";

    private readonly Meter _meter;
    private readonly Counter<long> _inputs;
    private readonly Counter<long> _steps;
    private readonly Counter<long> _messages;
    private readonly Counter<long> _sla;
    private readonly Histogram<double> _lateness;
    private readonly Counter<long> _failed;

    /// <param name="meters">The host's meter factory, which owns the meter; a new meter where no host runs. Meters are still found by name, so hosts sharing a process (tests) can see each other's figures.</param>
    public JourneyMetrics(IMeterFactory? meters = null)
    {
        _meter = meters?.Create(MeterName) ?? new Meter(MeterName);
        _inputs = _meter.CreateCounter<long>("retention_instance_inputs", description: "Inputs applied to instances, by kind and result");
        _steps = _meter.CreateCounter<long>("retention_steps_executed", description: "History entries written by journey steps");
        _messages = _meter.CreateCounter<long>("retention_messages", description: "Messages dispatched, by channel and status");
        _sla = _meter.CreateCounter<long>("retention_sla_thresholds", description: "SLA clock thresholds reached: warnings before a target, breaches at or after it");
        _failed = _meter.CreateCounter<long>("retention_instances_failed", description: "Instances that failed: a step that cannot run, an effect that kept failing");
        _lateness = _meter.CreateHistogram<double>("retention_timer_lateness", unit: "s", description: "How late timers fired",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60] });
    }

    /// <summary>The kinds <see cref="KindOf"/> names, and the results an input has.</summary>
    private static readonly string[] InputKinds = ["start", "timer", "event", "suspend", "resume", "terminate", "migrate"];
    private static readonly string[] InputResults = ["applied", "ignored"];

    /// <summary>
    /// Every counter at zero, for each label value known in advance, so each family is exported from the start. Called
    /// once the metrics are listened to (see the host's composition). The lateness histogram appears with the first timer:
    /// a histogram has no zero to record that would not count as a timer.
    /// </summary>
    public void StartAtZero()
    {
        foreach (var kind in InputKinds)
        {
            foreach (var result in InputResults)
            {
                _inputs.Add(0, new("kind", kind), new("result", result));
            }
        }
        _steps.Add(0);
        foreach (var channel in Enum.GetValues<MessageChannel>())
        {
            foreach (var status in Enum.GetValues<SendStatus>())
            {
                _messages.Add(0, new("channel", Label(channel)), new("status", Label(status)));
            }
        }
        _sla.Add(0, new KeyValuePair<string, object?>("kind", "warning"));
        _sla.Add(0, new KeyValuePair<string, object?>("kind", "breach"));
        _failed.Add(0);
    }

    public void InputApplied(JourneyInput input, InterpretResult result)
    {
        _inputs.Add(1, new("kind", KindOf(input)), new("result", result.Changed ? InputResults[0] : InputResults[1]));
        _steps.Add(result.History.Count);
        foreach (var entry in result.History)
        {
            if (entry.Kind is HistoryKinds.SlaWarning or HistoryKinds.SlaBreach)
            {
                _sla.Add(1, new KeyValuePair<string, object?>("kind", entry.Kind == HistoryKinds.SlaWarning ? "warning" : "breach"));
            }
        }
    }

    public void MessageDispatched(MessageChannel channel, SendStatus status) =>
        _messages.Add(1, new("channel", Label(channel)), new("status", Label(status)));

    private static string Label<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();

    public void InstanceFailed() => _failed.Add(1);

    public void TimerLateness(TimeSpan lateness) => _lateness.Record(Math.Max(0, lateness.TotalSeconds));

    public static string KindOf(JourneyInput input) => input switch
    {
        StartInstance => "start",
        TimerFired => "timer",
        EventReceived => "event",
        SuspendInstance => "suspend",
        ResumeInstance => "resume",
        TerminateInstance => "terminate",
        MigrateInstance => "migrate",
        _ => input.GetType().Name,
    };

    public void Dispose() => _meter.Dispose();
}
