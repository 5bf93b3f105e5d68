using System.Globalization;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Entities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Retention.Testing.Durable;

/// <summary>
/// One generation's history as the engine applied it: the actions its orchestrator scheduled, in order, and the
/// inputs that reached it (activity results, timers fired, events delivered), in the order and at the time they did.
/// </summary>
internal sealed class GenerationHistory(string? input, DateTimeOffset startedAt)
{
    public string? Input { get; } = input;
    public DateTimeOffset StartedAt { get; } = startedAt;
    public List<string> Actions { get; } = [];
    public List<HistoryInput> Inputs { get; } = [];

    public int Schedule(string action)
    {
        Actions.Add(action);
        return Actions.Count - 1;
    }

    /// <summary>What the real engine would store of it, in characters: its input, its actions, the results and events it received.</summary>
    public int Size => (Input?.Length ?? 0) + Actions.Sum(a => a.Length) + Inputs.Sum(i => i switch
    {
        ActivityCompleted completed => (completed.Outcome.Output?.Length ?? 0) + (completed.Outcome.Failure?.ErrorMessage.Length ?? 0),
        EventDelivered delivered => delivered.Name.Length + (delivered.Payload?.Length ?? 0),
        _ => 0,
    });

    public static string Activity(string name) => "activity " + name;

    public static string Timer(DateTime fireAt) => "timer at " + fireAt.ToString("o", CultureInfo.InvariantCulture);

    public static string EventSent(string instanceId, string name) => $"event {name} to {instanceId}";
}

internal abstract record HistoryInput(DateTimeOffset At);

internal sealed record ActivityCompleted(int Action, VirtualDurableEngine.ActivityOutcome Outcome, DateTimeOffset At) : HistoryInput(At);

internal sealed record TimerFired(int Action, DateTimeOffset At) : HistoryInput(At);

internal sealed record EventDelivered(string Name, string? Payload, DateTimeOffset At) : HistoryInput(At);

/// <summary>
/// Replays a generation from its history, as the real engine does at every episode: a new orchestrator runs from the
/// generation's input with <see cref="IsReplaying"/> true, each recorded input is handed back in order, and every action
/// it schedules must be the one the history holds at that place. An orchestrator that decides differently on replay
/// (it reads a setting that changed, the wall clock, or <see cref="IsReplaying"/> itself) is non-deterministic: the
/// real engine would fail it or silently diverge, so here the instance fails.
/// </summary>
internal sealed class ReplayCheck : TaskOrchestrationContext
{
    private readonly IServiceProvider _services;
    private readonly string _instanceId;
    private readonly TaskName _name;
    private readonly GenerationHistory _history;
    private readonly List<string> _actions = [];
    private readonly Dictionary<int, TaskCompletionSource<VirtualDurableEngine.ActivityOutcome>> _activities = [];
    private readonly Dictionary<int, TaskCompletionSource> _timers = [];
    private readonly Dictionary<string, Queue<VirtualDurableEngine.IEventWaiter>> _waiters = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<(string Name, string? Payload)> _buffered = [];
    private object? _input;
    private DateTimeOffset _now;
    private int _guids;
    private string? _divergence;

    private ReplayCheck(IServiceProvider services, string instanceId, string name, GenerationHistory history)
    {
        _services = services;
        _instanceId = instanceId;
        _name = name;
        _history = history;
        _now = history.StartedAt;
    }

    /// <summary>Null when the replay scheduled exactly what the history holds; otherwise where it first differed.</summary>
    public static string? Divergence(IServiceProvider services, ITaskOrchestrator orchestrator, string instanceId, string name, GenerationHistory history)
    {
        var replay = new ReplayCheck(services, instanceId, name, history);
        var previous = SynchronizationContext.Current;
        // No context: what the replay awaits resumes inline, as each recorded input is handed back.
        SynchronizationContext.SetSynchronizationContext(null);
        try
        {
            replay._input = VirtualDurableEngine.Converter.Deserialize(history.Input, orchestrator.InputType);
            _ = orchestrator.RunAsync(replay, replay._input);
            foreach (var input in history.Inputs)
            {
                if (replay._divergence is not null)
                {
                    break;
                }
                replay._now = input.At;
                replay.Apply(input);
            }
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }
        return replay._divergence ?? (replay._actions.Count < history.Actions.Count
            ? $"on replay it stopped after {replay._actions.Count} actions, where the history has '{history.Actions[replay._actions.Count]}' next"
            : null);
    }

    private void Apply(HistoryInput input)
    {
        switch (input)
        {
            case ActivityCompleted completed when _activities.Remove(completed.Action, out var activity):
                activity.TrySetResult(completed.Outcome);
                break;
            case TimerFired fired when _timers.Remove(fired.Action, out var timer):
                timer.TrySetResult();
                break;
            case EventDelivered delivered:
                Deliver(delivered.Name, delivered.Payload);
                break;
            default:
                _divergence ??= $"on replay nothing waits for the history's {input.GetType().Name} (action {(input as ActivityCompleted)?.Action ?? (input as TimerFired)?.Action})";
                break;
        }
    }

    private int Schedule(string action)
    {
        var index = _actions.Count;
        _actions.Add(action);
        if (index >= _history.Actions.Count || _history.Actions[index] != action)
        {
            _divergence ??= $"on replay it scheduled '{action}' as action {index}, where the history has "
                + (index < _history.Actions.Count ? $"'{_history.Actions[index]}'" : "nothing");
        }
        return index;
    }

    public override TaskName Name => _name;

    public override string InstanceId => _instanceId;

    public override ParentOrchestrationInstance? Parent => null;

    public override DateTime CurrentUtcDateTime => _now.UtcDateTime;

    public override bool IsReplaying => true;

    public override TaskOrchestrationEntityFeature Entities => throw new NotSupportedException("The virtual engine has no durable entities.");

    protected override ILoggerFactory LoggerFactory => _services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;

    public override T? GetInput<T>() where T : default => (T?)_input;

    /// <summary>As <see cref="VirtualOrchestrationContext.CallActivityAsync{T}"/>: each attempt is an action with its recorded outcome.</summary>
    public override async Task<T> CallActivityAsync<T>(TaskName name, object? input = null, TaskOptions? options = null)
    {
        // The task id only names the failure, which a replay never records (the instance fails while not replaying).
        return await VirtualDurableEngine.AttemptAsync<T>(name.Name, options?.Retry?.Policy, taskId: 0, () =>
        {
            var completion = new TaskCompletionSource<VirtualDurableEngine.ActivityOutcome>();
            _activities[Schedule(GenerationHistory.Activity(name.Name))] = completion;
            return completion.Task;
        });
    }

    public override Task<TResult> CallSubOrchestratorAsync<TResult>(TaskName orchestratorName, object? input = null, TaskOptions? options = null) =>
        throw new NotSupportedException("The virtual engine does not run sub-orchestrations; the journeys use none.");

    public override Task CreateTimer(DateTime fireAt, CancellationToken cancellationToken)
    {
        var completion = new TaskCompletionSource();
        var action = Schedule(GenerationHistory.Timer(fireAt.Kind == DateTimeKind.Local ? fireAt.ToUniversalTime() : fireAt));
        if (cancellationToken.IsCancellationRequested)
        {
            completion.TrySetCanceled(cancellationToken);
            return completion.Task;
        }
        _timers[action] = completion;
        if (cancellationToken.CanBeCanceled)
        {
            cancellationToken.Register(() =>
            {
                _timers.Remove(action);
                completion.TrySetCanceled(cancellationToken);
            });
        }
        return completion.Task;
    }

    /// <summary>As the engine's: a buffered event first, else a waiter in line (a cancelled one keeps its place and drops its event).</summary>
    public override Task<T> WaitForExternalEvent<T>(string eventName, CancellationToken cancellationToken = default)
    {
        var waiter = new VirtualDurableEngine.EventWaiter<T>();
        var index = _buffered.FindIndex(b => string.Equals(b.Name, eventName, StringComparison.OrdinalIgnoreCase));
        if (index >= 0)
        {
            var buffered = _buffered[index];
            _buffered.RemoveAt(index);
            waiter.Complete(buffered.Payload);
            return waiter.Task;
        }
        if (!_waiters.TryGetValue(eventName, out var waiters))
        {
            _waiters[eventName] = waiters = new Queue<VirtualDurableEngine.IEventWaiter>();
        }
        waiters.Enqueue(waiter);
        if (cancellationToken.CanBeCanceled)
        {
            cancellationToken.Register(() => waiter.TrySetCanceled(cancellationToken));
        }
        return waiter.Task;
    }

    private void Deliver(string name, string? payload)
    {
        if (_waiters.TryGetValue(name, out var waiters) && waiters.TryDequeue(out var waiter))
        {
            if (waiters.Count == 0)
            {
                _waiters.Remove(name);
            }
            waiter.Complete(payload);
            return;
        }
        _buffered.Add((name, payload));
    }

    public override void SendEvent(string instanceId, string eventName, object payload) => Schedule(GenerationHistory.EventSent(instanceId, eventName));

    public override void SetCustomStatus(object? customStatus)
    {
        // Published by the live run; a replay's status is the same or the replay has already diverged.
    }

    public override void ContinueAsNew(object? newInput = null, bool preserveUnprocessedEvents = true)
    {
        // The generation's last action: the live run carries it out.
    }

    public override Guid NewGuid() => VirtualOrchestrationContext.NameBasedGuid(InstanceId, CurrentUtcDateTime, _guids++);
}
