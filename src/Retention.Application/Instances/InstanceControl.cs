using Retention.Core.Runtime;
using Retention.Journeys;

namespace Retention.Application.Instances;

/// <summary>What an instance control (terminate, suspend, resume) came to.</summary>
public abstract record ControlOutcome;

/// <summary>The instance applied the control within the wait: <see cref="Now"/> is it as it now is.</summary>
public sealed record ControlApplied(JourneyInstanceState Before, JourneyInstanceState Now) : ControlOutcome;

/// <summary>The instance was signalled but had not applied the control within the wait; it does so shortly.</summary>
public sealed record ControlRequested(JourneyInstanceState Before) : ControlOutcome;

public sealed record ControlNotFound : ControlOutcome;

/// <summary>The instance's status does not allow the control.</summary>
public sealed record ControlRefused(InstanceStatus Status) : ControlOutcome;

/// <summary>
/// Terminate, suspend or resume an instance: the instance applies the control between two of its own inputs, in the
/// engine's thread or process, so the use case signals it and then reads it again, on the injected clock, until its
/// status has changed or the wait is over.
/// </summary>
public sealed class InstanceControl(IJourneyInstances instances, TimeProvider time)
{
    private static readonly TimeSpan ReadInterval = TimeSpan.FromMilliseconds(100);

    public async Task<ControlOutcome> ApplyAsync(string instanceId, JourneySignal signal, Func<InstanceStatus, bool> allowed, TimeSpan wait,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(allowed);
        if (await instances.GetAsync(instanceId, cancellationToken) is not { } info)
        {
            return new ControlNotFound();
        }
        if (!allowed(info.State.Status))
        {
            return new ControlRefused(info.State.Status);
        }
        await instances.SignalAsync(instanceId, signal, cancellationToken);
        var deadline = time.GetUtcNow() + wait;
        while (time.GetUtcNow() < deadline)
        {
            await Task.Delay(ReadInterval, time, cancellationToken);
            if (await instances.GetAsync(instanceId, cancellationToken) is { } now && now.State.Status != info.State.Status)
            {
                return new ControlApplied(info.State, now.State);
            }
        }
        return new ControlRequested(info.State);
    }
}
