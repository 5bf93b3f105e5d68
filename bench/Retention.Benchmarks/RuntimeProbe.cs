using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Retention.Storage.Engine;

namespace Retention.Benchmarks;

/// <summary>
/// Listens to the runtime's own meter: <c>retention_steps_executed</c> (history entries written by commits),
/// <c>retention_instance_inputs</c> (applied timers, to know when a phase is done and when each transition ended)
/// and <c>retention_timer_lateness</c> (seconds between a timer's due time and its handling).
/// </summary>
public sealed class RuntimeProbe : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _steps;
    private long _timersApplied;
    private long _timersIgnored;
    private long _conflicts;
    private long _poisoned;
    private ConcurrentQueue<double> _lateness = new();
    private ConcurrentQueue<long> _timerStamps = new();

    public RuntimeProbe()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == RuntimeMetrics.MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>(OnLong);
        _listener.SetMeasurementEventCallback<double>(OnDouble);
        _listener.Start();
    }

    public long Steps => Interlocked.Read(ref _steps);
    public long TimersApplied => Interlocked.Read(ref _timersApplied);
    public long TimersIgnored => Interlocked.Read(ref _timersIgnored);
    public long Conflicts => Interlocked.Read(ref _conflicts);
    public long Poisoned => Interlocked.Read(ref _poisoned);

    /// <summary>Starts a new collection of lateness samples and timer completion stamps; returns the previous ones.</summary>
    public (double[] Lateness, long[] TimerStamps) Collect()
    {
        var lateness = Interlocked.Exchange(ref _lateness, new ConcurrentQueue<double>());
        var stamps = Interlocked.Exchange(ref _timerStamps, new ConcurrentQueue<long>());
        return ([.. lateness], [.. stamps]);
    }

    private void OnLong(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        switch (instrument.Name)
        {
            case "retention_steps_executed":
                Interlocked.Add(ref _steps, value);
                break;
            case "retention_instance_inputs":
                string? kind = null;
                string? result = null;
                foreach (var tag in tags)
                {
                    if (tag.Key == "kind")
                    {
                        kind = tag.Value as string;
                    }
                    else if (tag.Key == "result")
                    {
                        result = tag.Value as string;
                    }
                }
                if (kind == "timer")
                {
                    if (result == "applied")
                    {
                        _timerStamps.Enqueue(Stopwatch.GetTimestamp());
                        Interlocked.Add(ref _timersApplied, value);
                    }
                    else
                    {
                        Interlocked.Add(ref _timersIgnored, value);
                    }
                }
                break;
            case "retention_commit_conflicts":
                Interlocked.Add(ref _conflicts, value);
                break;
            case "retention_poison_messages":
                Interlocked.Add(ref _poisoned, value);
                break;
            default:
                break;
        }
    }

    private void OnDouble(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        if (instrument.Name == "retention_timer_lateness")
        {
            _lateness.Enqueue(value);
        }
    }

    public void Dispose() => _listener.Dispose();
}

public static class Stats
{
    /// <summary>Nearest-rank percentile of unsorted samples; NaN when there are none.</summary>
    public static double Percentile(IReadOnlyCollection<double> samples, double p)
    {
        if (samples.Count == 0)
        {
            return double.NaN;
        }
        var sorted = samples.Order().ToArray();
        var rank = (int)Math.Ceiling(p / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    /// <summary>
    /// Completions per second between the 10th and 90th percentile completion, which leaves out the ramp-up and the
    /// tail (the last timers of a run wait out their own due time).
    /// </summary>
    public static double SteadyRate(long[] stamps)
    {
        if (stamps.Length < 20)
        {
            return double.NaN;
        }
        var sorted = stamps.Order().ToArray();
        var from = sorted[sorted.Length / 10];
        var to = sorted[sorted.Length * 9 / 10];
        var seconds = Stopwatch.GetElapsedTime(from, to).TotalSeconds;
        return seconds <= 0 ? double.NaN : ((sorted.Length * 9 / 10) - (sorted.Length / 10)) / seconds;
    }
}
