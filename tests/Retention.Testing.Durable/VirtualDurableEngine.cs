using System.Text;
using System.Threading.Channels;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Converters;
using Microsoft.Extensions.Time.Testing;
using Retention.Core.Runtime;
using Retention.Journeys;

namespace Retention.Testing.Durable;

/// <summary>The engine's own view of an instance: its Durable Task runtime status, not the journey's.</summary>
public enum VirtualRuntimeStatus { Pending, Running, Completed, Failed }

/// <summary>An instance as the engine holds it; inputs, outputs and the custom status are the JSON the real engine would store.</summary>
/// <param name="LargestHistory">
/// The largest history any of its generations reached, as the real engine would store it: the generation's input,
/// the actions it scheduled and every result and event it received, in characters.
/// </param>
public sealed record VirtualInstance(string InstanceId, string Orchestration, VirtualRuntimeStatus Status, int Generation,
    string? Input, string? Output, string? CustomStatus, string? FailureMessage, DateTimeOffset CreatedAt, DateTimeOffset LastUpdatedAt, int LargestHistory = 0);

/// <summary>What the engine does when orchestrator code resumes from a task its context did not create.</summary>
public enum OffThreadContinuations
{
    /// <summary>Fail the instance, as such code is non-deterministic under Durable Task (it resumes off the orchestrator thread).</summary>
    Fail,

    /// <summary>Run the continuation on the pump anyway, waiting (in real time, briefly) for it to arrive: to see what else a test finds.</summary>
    RunOnPump,
}

/// <summary>
/// A Durable Task engine for tests: the real orchestrator and activity classes (from <see cref="JourneyTaskRegistry"/>)
/// run in memory under a <see cref="TimeProvider"/>, normally a <see cref="FakeTimeProvider"/> that only
/// <see cref="AdvanceToAsync"/> moves. Nothing runs by itself: <see cref="RunUntilIdleAsync"/> pumps orchestrator
/// steps, activities, delivered events and due timers, one at a time on one logical thread, until nothing can move
/// without the clock. Inputs, outputs, events and custom status go through <see cref="JsonDataConverter.Default"/> as in
/// the real engine, so what does not serialize fails here too.
/// </summary>
public sealed class VirtualDurableEngine(IServiceProvider services, TimeProvider clock) : IJourneyInstances
{
    /// <summary>A safety stop: no pump may take more steps than this without becoming idle.</summary>
    public const int MaxStepsPerPump = 1_000_000;

    internal static readonly DataConverter Converter = JsonDataConverter.Default;

    [ThreadStatic]
    private static Execution? t_turn;

    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _pump = new(1, 1);
    private readonly SemaphoreSlim _offThreadPosted = new(0);
    private readonly Dictionary<string, InstanceRecord> _instances = new(StringComparer.Ordinal);

    /// <summary>The ids of the journey instances, in order: what <see cref="QueryAsync"/> pages through.</summary>
    private readonly SortedSet<string> _journeyIds = new(StringComparer.Ordinal);

    /// <summary>Generations that moved since their last replay: what the next idle point replays (a generation leaves it when replayed).</summary>
    private readonly HashSet<Execution> _unchecked = [];
    private readonly Queue<Continuation> _continuations = new();
    private readonly Queue<InstanceRecord> _toStart = new();
    private readonly Queue<string> _raised = new();
    private readonly Queue<ActivityCall> _activities = new();
    private readonly Channel<(ActivityCall Call, ActivityOutcome? Outcome)> _activitiesDone = Channel.CreateUnbounded<(ActivityCall, ActivityOutcome?)>();

    /// <summary>Every pending timer, soonest first (a timer that is no longer pending is dropped when it comes up).</summary>
    private readonly PriorityQueue<TimerEntry, (DateTime FireAt, long Sequence)> _timers = new();

    /// <summary>Timers whose cancellation ran off the pump: each cancels its task in a turn of its own.</summary>
    private readonly Queue<TimerEntry> _cancelledOffThread = new();
    private readonly Dictionary<string, int> _activityCounts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _raisedByClients = new(StringComparer.Ordinal);
    private long _sequence;
    private int _expectedOffThreadPosts;

    internal IServiceProvider Services { get; } = services;

    internal TimeProvider Clock { get; } = clock;

    public OffThreadContinuations OffThreadContinuations { get; init; } = OffThreadContinuations.Fail;

    /// <summary>
    /// How many activities run at once, as a worker runs several: 1 (the default) runs each to its end before anything
    /// else moves. With more, orchestrator code still runs one turn at a time on the pump, each activity's result in a
    /// turn of its own as it comes back, in whatever order they finish.
    /// </summary>
    public int ActivityConcurrency { get; init; } = 1;

    /// <summary>The orchestrators it runs, by name: the journeys' registry, or a test's own.</summary>
    public IReadOnlyDictionary<string, Func<IServiceProvider, ITaskOrchestrator>> Orchestrators { get; init; } = JourneyTaskRegistry.Orchestrators;

    /// <summary>
    /// Work outside the engine that feeds it (the host's ingest drain): run whenever the engine is otherwise idle,
    /// until it reports it did nothing. It runs between steps, never inside one.
    /// </summary>
    public Func<Task<bool>>? IdleWork { get; init; }

    /// <summary>The earliest pending, uncancelled timer of any running instance.</summary>
    public DateTimeOffset? NextTimerDue
    {
        get
        {
            lock (_gate)
            {
                return PeekTimer() is { } next ? new DateTimeOffset(DateTime.SpecifyKind(next.FireAt, DateTimeKind.Utc)) : null;
            }
        }
    }

    /// <summary>Activity executions (every attempt counts) by activity name.</summary>
    public IReadOnlyDictionary<string, int> ActivityExecutions
    {
        get
        {
            lock (_gate)
            {
                return new Dictionary<string, int>(_activityCounts, StringComparer.Ordinal);
            }
        }
    }

    public int ActivityExecutionsOf(string activity)
    {
        lock (_gate)
        {
            return _activityCounts.GetValueOrDefault(activity);
        }
    }

    /// <summary>Every instance of any orchestration, in the order they were started.</summary>
    public IReadOnlyList<VirtualInstance> Instances
    {
        get
        {
            lock (_gate)
            {
                return [.. _instances.Values.OrderBy(i => i.Sequence).Select(i => i.Snapshot())];
            }
        }
    }

    public VirtualInstance? Inspect(string instanceId)
    {
        lock (_gate)
        {
            return _instances.TryGetValue(instanceId, out var instance) ? instance.Snapshot() : null;
        }
    }

    /// <summary>Raises an event to an instance, as a client would; dropped when the instance does not exist or has finished.</summary>
    public Task RaiseEventAsync(string instanceId, string eventName, object? payload)
    {
        lock (_gate)
        {
            _raisedByClients[instanceId] = _raisedByClients.GetValueOrDefault(instanceId) + 1;
        }
        Raise(instanceId, eventName, Converter.Serialize(payload));
        return Task.CompletedTask;
    }

    /// <summary>How many events clients have raised to the instance (signals, as the router raises them).</summary>
    public int EventsRaisedTo(string instanceId)
    {
        lock (_gate)
        {
            return _raisedByClients.GetValueOrDefault(instanceId);
        }
    }

    // ---- driving -------------------------------------------------------------------------------------------------

    /// <summary>
    /// Runs everything runnable until nothing can move without the clock advancing: activity results, orchestrator
    /// continuations, new generations, delivered events, due timers (those whose time the clock has reached) and
    /// activities, in that order of preference, one at a time. Activities run off the pump (they may do real I/O), up to
    /// <see cref="ActivityConcurrency"/> at once; orchestrator code runs only here.
    /// </summary>
    public async Task RunUntilIdleAsync()
    {
        await _pump.WaitAsync().ConfigureAwait(false);
        try
        {
            var running = 0;
            for (var steps = 0; ; steps++)
            {
                if (steps >= MaxStepsPerPump)
                {
                    throw new InvalidOperationException($"The engine did not become idle within {MaxStepsPerPump} steps: an orchestration loops without waiting.");
                }
                if (_activitiesDone.Reader.TryRead(out var done))
                {
                    running--;
                    ActivityDone(done.Call, done.Outcome);
                    continue;
                }
                if (RunOneStep())
                {
                    continue;
                }
                while (running < ActivityConcurrency && TakeActivity() is { } call)
                {
                    running++;
                    _ = RunActivityAsync(call);
                }
                if (running > 0)
                {
                    await _activitiesDone.Reader.WaitToReadAsync().ConfigureAwait(false);
                    continue;
                }
                if (Volatile.Read(ref _expectedOffThreadPosts) > 0)
                {
                    if (!await _offThreadPosted.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false))
                    {
                        Volatile.Write(ref _expectedOffThreadPosts, 0);
                    }
                    continue;
                }
                ReplayUnchecked();
                if (IdleWork is not null && await IdleWork().ConfigureAwait(false))
                {
                    continue;
                }
                return;
            }
        }
        finally
        {
            _pump.Release();
        }
    }

    /// <summary>
    /// Moves the clock to <paramref name="instant"/>, stopping at every timer due on the way: the clock is set to each
    /// due time and the engine runs until idle there, so every step runs at its own time. Needs a <see cref="FakeTimeProvider"/>.
    /// </summary>
    public async Task AdvanceToAsync(DateTimeOffset instant)
    {
        var fake = Clock as FakeTimeProvider ?? throw new InvalidOperationException("Advancing needs the engine's clock to be a FakeTimeProvider.");
        await RunUntilIdleAsync().ConfigureAwait(false);
        while (NextTimerDue is { } due && due <= instant)
        {
            if (due > fake.GetUtcNow())
            {
                fake.SetUtcNow(due);
            }
            await RunUntilIdleAsync().ConfigureAwait(false);
        }
        if (instant > fake.GetUtcNow())
        {
            fake.SetUtcNow(instant);
        }
        await RunUntilIdleAsync().ConfigureAwait(false);
    }

    public Task AdvanceByAsync(TimeSpan delta) => AdvanceToAsync(Clock.GetUtcNow() + delta);

    /// <summary>One synchronous step, if any is runnable. The order is a preference, not a guarantee the real engine gives.</summary>
    private bool RunOneStep()
    {
        Continuation? continuation = null;
        InstanceRecord? starting = null;
        TimerEntry? cancelled = null;
        (Execution Execution, string Name, string? Payload)? delivery = null;
        TimerEntry? due = null;
        lock (_gate)
        {
            if (_continuations.TryDequeue(out var next))
            {
                continuation = next;
            }
            else if (_toStart.TryDequeue(out var instance))
            {
                starting = instance;
            }
            else if (TakeCancelledOffThread() is { } offThread)
            {
                cancelled = offThread;
                offThread.Done = true;
                offThread.Execution.Timers.Remove(offThread);
            }
            else if (TakeDeliverableEvent() is { } raised)
            {
                delivery = raised;
            }
            else
            {
                if (PeekTimer() is { } soonest && soonest.FireAt <= Clock.GetUtcNow().UtcDateTime)
                {
                    due = _timers.Dequeue();
                    due.Done = true;
                    due.Execution.Timers.Remove(due);
                }
            }
        }
        if (continuation is { } c)
        {
            Turn(c.Execution, () => c.Callback(c.State));
        }
        else if (starting is not null)
        {
            StartGeneration(starting);
        }
        else if (cancelled is not null)
        {
            Turn(cancelled.Execution, () => cancelled.Completion.TrySetCanceled());
        }
        else if (delivery is { } d)
        {
            Turn(d.Execution, () =>
            {
                d.Execution.History.Inputs.Add(new EventDelivered(d.Name, d.Payload, Clock.GetUtcNow()));
                Deliver(d.Execution, d.Name, d.Payload);
            });
        }
        else if (due is not null)
        {
            Turn(due.Execution, () =>
            {
                due.Execution.History.Inputs.Add(new TimerFired(due.Action, Clock.GetUtcNow()));
                due.Registration.Dispose();
                due.Completion.TrySetResult();
            });
        }
        else
        {
            return false;
        }
        return true;
    }

    /// <summary>The soonest pending timer, dropping those that are no longer pending (fired, cancelled, or of a generation that ended).</summary>
    private TimerEntry? PeekTimer()
    {
        while (_timers.TryPeek(out var next, out _))
        {
            if (next.IsPending)
            {
                return next;
            }
            _timers.Dequeue();
        }
        return null;
    }

    private TimerEntry? TakeCancelledOffThread()
    {
        while (_cancelledOffThread.TryDequeue(out var timer))
        {
            if (!timer.Done && !timer.Execution.Abandoned)
            {
                return timer;
            }
        }
        return null;
    }

    private ActivityCall? TakeActivity()
    {
        lock (_gate)
        {
            return _activities.TryDequeue(out var call) ? call : null;
        }
    }

    private (Execution, string, string?)? TakeDeliverableEvent()
    {
        for (var left = _raised.Count; left > 0 && _raised.TryDequeue(out var instanceId); left--)
        {
            if (!_instances.TryGetValue(instanceId, out var instance) || instance.Status is VirtualRuntimeStatus.Completed or VirtualRuntimeStatus.Failed)
            {
                continue;
            }
            if (instance.Inbox.First is not { } first)
            {
                continue;
            }
            if (instance.Current is not { Abandoned: false } execution)
            {
                // Not started yet (a generation in between): it stays in the inbox for the next one.
                _raised.Enqueue(instanceId);
                continue;
            }
            instance.Inbox.RemoveFirst();
            return (execution, first.Value.Name, first.Value.Payload);
        }
        return null;
    }

    /// <summary>Runs orchestrator code for one execution with its synchronization context current, then settles what the code did.</summary>
    private void Turn(Execution execution, Action action)
    {
        lock (_gate)
        {
            if (execution.Abandoned || execution.Instance.Current != execution)
            {
                return;
            }
        }
        var previous = SynchronizationContext.Current;
        var outer = t_turn;
        SynchronizationContext.SetSynchronizationContext(execution.Context);
        t_turn = execution;
        try
        {
            action();
        }
        finally
        {
            t_turn = outer;
            SynchronizationContext.SetSynchronizationContext(previous);
        }
        lock (_gate)
        {
            _unchecked.Add(execution);
        }
        AfterTurn(execution);
    }

    private void AfterTurn(Execution execution)
    {
        lock (_gate)
        {
            if (execution.Abandoned)
            {
                return;
            }
            foreach (var timer in execution.Timers.Where(t => !t.Done && !t.OffThreadNoticed && t.Token.IsCancellationRequested && (!t.CallbackRan || t.CancelledOffThread)))
            {
                // Its cancellation was requested in this turn, but the callbacks run elsewhere (CancellationTokenSource.CancelAsync
                // runs them on the thread pool, and code awaiting it resumes there).
                timer.OffThreadNoticed = true;
                if (OffThreadContinuations == OffThreadContinuations.Fail)
                {
                    Fail(execution, $"Orchestration {execution.Instance.Name} ({execution.Instance.Id}) cancelled a durable timer off the orchestrator thread "
                        + "(CancellationTokenSource.CancelAsync runs the timer's cancellation on the thread pool, and code awaiting it resumes there): "
                        + "Durable Task runs such code outside the orchestrator's episode, non-deterministically. Cancel with CancellationTokenSource.Cancel().");
                    return;
                }
                _expectedOffThreadPosts++;
            }
        }
        if (execution.Run is not { IsCompleted: true } run)
        {
            return;
        }
        if (Replay(execution) is { } divergence)
        {
            lock (_gate)
            {
                Fail(execution, divergence);
            }
            return;
        }
        lock (_gate)
        {
            var instance = execution.Instance;
            execution.Abandoned = true;
            execution.Timers.Clear();
            instance.LastUpdatedAt = Clock.GetUtcNow();
            if (run.IsCompletedSuccessfully && execution.ContinueAsNew is { } next)
            {
                instance.Input = next.Input;
                instance.Generation++;
                if (next.PreserveUnprocessedEvents)
                {
                    // Events delivered to this generation but never waited for go first, in the order they arrived.
                    foreach (var (name, payload) in Enumerable.Reverse(execution.Buffered))
                    {
                        instance.Inbox.AddFirst(new RaisedEvent(name, payload));
                        _raised.Enqueue(instance.Id);
                    }
                }
                instance.Current = null;
                _toStart.Enqueue(instance);
            }
            else if (run.IsCompletedSuccessfully)
            {
                instance.Status = VirtualRuntimeStatus.Completed;
                instance.Output = Converter.Serialize(run.Result);
                instance.Inbox.Clear();
            }
            else
            {
                var error = run.Exception?.InnerException ?? run.Exception ?? (Exception)new TaskCanceledException("The orchestrator's task was cancelled.");
                instance.Status = VirtualRuntimeStatus.Failed;
                instance.FailureMessage = error.Message;
                instance.Inbox.Clear();
            }
        }
    }

    private void StartGeneration(InstanceRecord instance)
    {
        Execution execution;
        lock (_gate)
        {
            execution = new Execution(this, instance, new GenerationHistory(instance.Input, Clock.GetUtcNow()));
            instance.Current = execution;
            instance.Status = VirtualRuntimeStatus.Running;
            instance.LastUpdatedAt = Clock.GetUtcNow();
        }
        Turn(execution, () =>
        {
            try
            {
                var orchestrator = CreateOrchestrator(instance.Name);
                execution.Input = Converter.Deserialize(instance.Input, orchestrator.InputType);
                execution.Run = orchestrator.RunAsync(execution.Context.Orchestration, execution.Input);
            }
            catch (Exception e)
            {
                execution.Run = Task.FromException<object?>(e);
            }
        });
    }

    private ITaskOrchestrator CreateOrchestrator(string name) => Orchestrators.TryGetValue(name, out var create)
        ? create(Services)
        : throw new InvalidOperationException($"No orchestrator named '{name}' is registered.");

    /// <summary>Replays every running generation that moved since its last replay; one that replays differently fails.</summary>
    private void ReplayUnchecked()
    {
        List<Execution> moved;
        lock (_gate)
        {
            moved = [.. _unchecked.Where(e => !e.Abandoned)];
            _unchecked.Clear();
        }
        foreach (var execution in moved)
        {
            if (Replay(execution) is { } divergence)
            {
                lock (_gate)
                {
                    Fail(execution, divergence);
                }
            }
        }
    }

    /// <summary>
    /// The generation replayed from its history in a new orchestrator, as the real engine replays each episode; null
    /// when it scheduled what the history holds. (Not with <see cref="OffThreadContinuations.RunOnPump"/>, whose
    /// continuations the history does not record.)
    /// </summary>
    private string? Replay(Execution execution)
    {
        lock (_gate)
        {
            _unchecked.Remove(execution);
        }
        execution.Instance.LargestHistory = Math.Max(execution.Instance.LargestHistory, execution.History.Size);
        if (OffThreadContinuations == OffThreadContinuations.RunOnPump)
        {
            return null;
        }
        var instance = execution.Instance;
        return ReplayCheck.Divergence(Services, CreateOrchestrator(instance.Name), instance.Id, instance.Name, execution.History) is { } divergence
            ? $"Orchestration {instance.Name} ({instance.Id}) is non-deterministic: {divergence}."
            : null;
    }

    private void Fail(Execution execution, string message)
    {
        var instance = execution.Instance;
        execution.Abandoned = true;
        execution.Timers.Clear();
        instance.Status = VirtualRuntimeStatus.Failed;
        instance.FailureMessage = message;
        instance.LastUpdatedAt = Clock.GetUtcNow();
        instance.Inbox.Clear();
    }

    // ---- what the orchestration context asks for -----------------------------------------------------------------

    internal void ThrowIfNotInTurn(Execution execution)
    {
        if (t_turn != execution)
        {
            throw new InvalidOperationException(
                $"Orchestration {execution.Instance.Name} ({execution.Instance.Id}) used its context off the orchestrator thread: it awaited a task its context did not create.");
        }
    }

    internal Task<ActivityOutcome> ScheduleActivity(Execution execution, string name, string? input)
    {
        var call = new ActivityCall(execution, name, input, execution.History.Schedule(GenerationHistory.Activity(name)));
        lock (_gate)
        {
            _activities.Enqueue(call);
        }
        return call.Completion.Task;
    }

    internal Task CreateTimer(Execution execution, DateTime fireAt, CancellationToken cancellationToken)
    {
        var timer = new TimerEntry(this, execution, fireAt, Interlocked.Increment(ref _sequence),
            execution.History.Schedule(GenerationHistory.Timer(fireAt)), cancellationToken);
        if (cancellationToken.IsCancellationRequested)
        {
            timer.Completion.TrySetCanceled(cancellationToken);
            return timer.Completion.Task;
        }
        lock (_gate)
        {
            execution.Timers.Add(timer);
            _timers.Enqueue(timer, (timer.FireAt, timer.Sequence));
        }
        if (cancellationToken.CanBeCanceled)
        {
            timer.Registration = cancellationToken.Register(static state => ((TimerEntry)state!).OnCancelled(), timer);
        }
        return timer.Completion.Task;
    }

    private void OnTimerCancelled(TimerEntry timer)
    {
        if (t_turn == timer.Execution)
        {
            lock (_gate)
            {
                timer.CallbackRan = true;
                timer.Done = true;
                timer.Execution.Timers.Remove(timer);
            }
            timer.Completion.TrySetCanceled(timer.Token);
            return;
        }
        lock (_gate)
        {
            // Off the pump: the pump cancels its task in a turn of its own; AfterTurn has noticed (or will notice) how it was cancelled.
            timer.CallbackRan = true;
            timer.CancelledOffThread = true;
            _cancelledOffThread.Enqueue(timer);
        }
    }

    internal Task<T> WaitForEvent<T>(Execution execution, string name, CancellationToken cancellationToken)
    {
        var waiter = new EventWaiter<T>();
        var index = execution.Buffered.FindIndex(b => string.Equals(b.Name, name, StringComparison.OrdinalIgnoreCase));
        if (index >= 0)
        {
            var buffered = execution.Buffered[index];
            execution.Buffered.RemoveAt(index);
            waiter.Complete(buffered.Payload);
            return waiter.Task;
        }
        if (!execution.Waiters.TryGetValue(name, out var waiters))
        {
            execution.Waiters[name] = waiters = new Queue<IEventWaiter>();
        }
        waiters.Enqueue(waiter);
        if (cancellationToken.CanBeCanceled)
        {
            // As the real engine: a cancelled waiter stays in line and still takes (and drops) the next event of its name.
            cancellationToken.Register(() => waiter.TrySetCanceled(cancellationToken));
        }
        return waiter.Task;
    }

    private static void Deliver(Execution execution, string name, string? payload)
    {
        if (execution.Waiters.TryGetValue(name, out var waiters) && waiters.TryDequeue(out var waiter))
        {
            if (waiters.Count == 0)
            {
                execution.Waiters.Remove(name);
            }
            waiter.Complete(payload);
            return;
        }
        execution.Buffered.Add((name, payload));
    }

    internal void Raise(string instanceId, string eventName, string? payload)
    {
        lock (_gate)
        {
            if (_instances.TryGetValue(instanceId, out var instance) && instance.Status is VirtualRuntimeStatus.Pending or VirtualRuntimeStatus.Running)
            {
                instance.Inbox.AddLast(new RaisedEvent(eventName, payload));
                _raised.Enqueue(instanceId);
            }
        }
    }

    internal void SetCustomStatus(Execution execution, string? json)
    {
        lock (_gate)
        {
            execution.Instance.CustomStatus = json;
            execution.Instance.LastUpdatedAt = Clock.GetUtcNow();
        }
    }

    private void Post(Execution execution, SendOrPostCallback callback, object? state)
    {
        var offThread = t_turn is null;
        lock (_gate)
        {
            if (execution.Abandoned)
            {
                return;
            }
            if (offThread && OffThreadContinuations == OffThreadContinuations.Fail)
            {
                Fail(execution, $"Orchestration {execution.Instance.Name} ({execution.Instance.Id}) resumed off the orchestrator thread: "
                    + "it awaited a task its context did not create, which Durable Task runs non-deterministically.");
                return;
            }
            _continuations.Enqueue(new Continuation(execution, callback, state));
            if (offThread && _expectedOffThreadPosts > 0)
            {
                _expectedOffThreadPosts--;
            }
        }
        if (offThread)
        {
            _offThreadPosted.Release();
        }
    }

    // ---- activities ----------------------------------------------------------------------------------------------

    /// <summary>Runs the activity off the pump and hands its outcome back to it (none when its instance failed meanwhile).</summary>
    private async Task RunActivityAsync(ActivityCall call)
    {
        lock (_gate)
        {
            if (call.Execution.Abandoned && call.Execution.ContinueAsNew is null)
            {
                _activitiesDone.Writer.TryWrite((call, null)); // its instance failed in the episode that scheduled it
                return;
            }
            _activityCounts[call.Name] = _activityCounts.GetValueOrDefault(call.Name) + 1;
        }
        ActivityOutcome outcome;
        try
        {
            var activity = JourneyTaskRegistry.Activities.TryGetValue(call.Name, out var create)
                ? create(Services)
                : throw new InvalidOperationException($"No activity named '{call.Name}' is registered.");
            var context = new VirtualActivityContext(call.Name, call.Execution.Instance.Id);
            var input = Converter.Deserialize(call.Input, activity.InputType);
            // Off the pump's context, on the thread pool, as a worker would run it.
            var output = await Task.Run(() => activity.RunAsync(context, input)).ConfigureAwait(false);
            outcome = new ActivityOutcome(Converter.Serialize(output), null);
        }
        catch (Exception e)
        {
            outcome = new ActivityOutcome(null, new TaskFailureDetails(e.GetType().FullName ?? e.GetType().Name, e.Message, e.StackTrace, null, null));
        }
        _activitiesDone.Writer.TryWrite((call, outcome));
    }

    /// <summary>On the pump: the activity's outcome reaches its orchestration in a turn.</summary>
    private void ActivityDone(ActivityCall call, ActivityOutcome? outcome)
    {
        if (outcome is null)
        {
            return;
        }
        Turn(call.Execution, () =>
        {
            call.Execution.History.Inputs.Add(new ActivityCompleted(call.Action, outcome, Clock.GetUtcNow()));
            call.Completion.TrySetResult(outcome);
        });
    }

    // ---- IJourneyInstances ---------------------------------------------------------------------------------------

    public Task<bool> StartAsync(string orchestration, string instanceId, object input, CancellationToken cancellationToken)
    {
        var json = Converter.Serialize(input);
        lock (_gate)
        {
            if (_instances.ContainsKey(instanceId))
            {
                return Task.FromResult(false);
            }
            var now = Clock.GetUtcNow();
            var instance = new InstanceRecord(instanceId, orchestration, json, ++_sequence, now);
            _instances.Add(instanceId, instance);
            if (orchestration == JourneyTasks.Journey)
            {
                _journeyIds.Add(instanceId);
            }
            _toStart.Enqueue(instance);
            return Task.FromResult(true);
        }
    }

    public Task SignalAsync(string instanceId, JourneySignal signal, CancellationToken cancellationToken) =>
        RaiseEventAsync(instanceId, JourneyTasks.Signal, signal);

    public Task<JourneyInstanceInfo?> GetAsync(string instanceId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_instances.TryGetValue(instanceId, out var instance) && instance.Name == JourneyTasks.Journey ? InfoOf(instance) : null);
        }
    }

    public Task<JourneyInstancePage> QueryAsync(string? journeyId, InstanceStatus? status, int pageSize, string? continuationToken, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        var after = continuationToken is null ? null : Encoding.UTF8.GetString(Convert.FromBase64String(continuationToken));
        lock (_gate)
        {
            // From the journey instances in id order: a page reads the ids it returns (and those of other statuses in between), not every instance.
            var (from, to) = (journeyId is null ? "" : journeyId + ":", journeyId is null ? _journeyIds.Max : journeyId + ";");
            if (after is not null && string.CompareOrdinal(after, from) > 0)
            {
                from = after;
            }
            IEnumerable<string> ids = to is null || string.CompareOrdinal(from, to) > 0 ? [] : _journeyIds.GetViewBetween(from, to);
            var matching = ids
                .Where(id => (after is null || string.CompareOrdinal(id, after) > 0) && (journeyId is null || id.StartsWith(journeyId + ":", StringComparison.Ordinal)))
                .Select(id => (Id: id, Info: InfoOf(_instances[id])))
                .Where(i => status is null || i.Info.State.Status == status)
                .Take(pageSize + 1)
                .ToList();
            var page = matching.Take(pageSize).ToList();
            var token = matching.Count > pageSize ? Convert.ToBase64String(Encoding.UTF8.GetBytes(page[^1].Id)) : null;
            return Task.FromResult(new JourneyInstancePage([.. page.Select(p => p.Info)], token));
        }
    }

    /// <summary>
    /// Starts the failed generation again from its own input. This engine drops a failed instance's inbox, so unlike the
    /// Durable Task engines it has no received signals to raise again.
    /// </summary>
    public Task<bool> RestartAsync(string instanceId, HistoryEntry restarted, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_instances.TryGetValue(instanceId, out var instance) || instance.Name != JourneyTasks.Journey
                || instance.Status != VirtualRuntimeStatus.Failed || Converter.Deserialize<JourneyRun>(instance.Input) is not { } failedGeneration)
            {
                return Task.FromResult(false);
            }
            instance.Input = Converter.Serialize(JourneyFailures.Restart(failedGeneration, restarted));
            instance.Status = VirtualRuntimeStatus.Pending;
            instance.FailureMessage = null;
            instance.LastUpdatedAt = Clock.GetUtcNow();
            _toStart.Enqueue(instance);
            return Task.FromResult(true);
        }
    }

    public async Task<JourneyInstancePage> QueryFailedAsync(string journeyId, int pageSize, string? continuationToken, CancellationToken cancellationToken)
    {
        var page = await QueryAsync(journeyId, InstanceStatus.Failed, pageSize, continuationToken, cancellationToken);
        lock (_gate)
        {
            return page with { Items = [.. page.Items.Where(i => _instances[i.State.InstanceId].Status == VirtualRuntimeStatus.Failed)] };
        }
    }

    public Task<bool> PurgeAsync(string instanceId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var purged = _instances.TryGetValue(instanceId, out var instance)
                && instance.Status is VirtualRuntimeStatus.Completed or VirtualRuntimeStatus.Failed
                && _instances.Remove(instanceId);
            if (purged)
            {
                _journeyIds.Remove(instanceId);
            }
            return Task.FromResult(purged);
        }
    }

    /// <summary>The instance as the engines read one (<see cref="JourneyInstanceRecords.ToInfo"/>): its view, or its start input until it has one.</summary>
    private static JourneyInstanceInfo InfoOf(InstanceRecord instance)
    {
        var view = JourneyInstanceRecords.ViewOf(instance.CustomStatus, instance.Status == VirtualRuntimeStatus.Completed ? instance.Output : null);
        return JourneyInstanceRecords.ToInfo(
            instance.Id,
            view,
            view is null && !string.IsNullOrEmpty(instance.Input) ? Converter.Deserialize<JourneyRun>(instance.Input) : null,
            hasStarted: instance.Status != VirtualRuntimeStatus.Pending,
            instance.Status == VirtualRuntimeStatus.Failed ? instance.FailureMessage ?? "failed" : null,
            instance.CreatedAt,
            instance.LastUpdatedAt);
    }

    // ---- the engine's records --------------------------------------------------------------------------------------

    internal sealed record NextGeneration(string? Input, bool PreserveUnprocessedEvents);

    internal sealed record ActivityOutcome(string? Output, TaskFailureDetails? Failure);

    /// <summary>
    /// An activity's attempts as the engine makes them, live or replayed: each after the last at the same virtual time
    /// (the retry interval is skipped; the policy's failure filter has no public getter, so every failure is retried),
    /// until one succeeds or the policy's attempts are spent.
    /// </summary>
    internal static async Task<T> AttemptAsync<T>(string name, RetryPolicy? policy, int taskId, Func<Task<ActivityOutcome>> attempt)
    {
        for (var tries = 1; ; tries++)
        {
            var outcome = await attempt();
            if (outcome.Failure is null)
            {
                return Converter.Deserialize<T>(outcome.Output)!;
            }
            if (policy is null || tries >= policy.MaxNumberOfAttempts)
            {
                throw new TaskFailedException(name, taskId, outcome.Failure);
            }
        }
    }

    internal sealed record RaisedEvent(string Name, string? Payload);

    private sealed record Continuation(Execution Execution, SendOrPostCallback Callback, object? State);

    internal sealed class InstanceRecord(string id, string name, string? input, long sequence, DateTimeOffset createdAt)
    {
        public string Id { get; } = id;
        public string Name { get; } = name;
        public long Sequence { get; } = sequence;
        public DateTimeOffset CreatedAt { get; } = createdAt;
        public string? Input { get; set; } = input;
        public VirtualRuntimeStatus Status { get; set; } = VirtualRuntimeStatus.Pending;
        public int Generation { get; set; } = 1;
        public string? Output { get; set; }
        public string? CustomStatus { get; set; }
        public string? FailureMessage { get; set; }
        public DateTimeOffset LastUpdatedAt { get; set; } = createdAt;
        public Execution? Current { get; set; }
        /// <summary>Events raised to the instance and not yet delivered to a generation.</summary>
        public LinkedList<RaisedEvent> Inbox { get; } = new();

        /// <summary>Characters of the largest generation history, as of its last replay.</summary>
        public int LargestHistory { get; set; }

        public VirtualInstance Snapshot() => new(Id, Name, Status, Generation, Input, Output, CustomStatus, FailureMessage, CreatedAt, LastUpdatedAt, LargestHistory);
    }

    /// <summary>One generation of an instance: its orchestrator run, waiters, delivered-but-unclaimed events and timers.</summary>
    internal sealed class Execution
    {
        public Execution(VirtualDurableEngine engine, InstanceRecord instance, GenerationHistory history)
        {
            Instance = instance;
            History = history;
            Context = new ExecutionSynchronizationContext(engine, this);
            Context.Orchestration = new VirtualOrchestrationContext(engine, this);
        }

        public InstanceRecord Instance { get; }
        public GenerationHistory History { get; }
        public ExecutionSynchronizationContext Context { get; }
        public object? Input { get; set; }
        public Task<object?>? Run { get; set; }
        public bool Abandoned { get; set; }
        public NextGeneration? ContinueAsNew { get; set; }
        public int NextTaskId { get; set; }
        public Dictionary<string, Queue<IEventWaiter>> Waiters { get; } = new(StringComparer.OrdinalIgnoreCase);
        public List<(string Name, string? Payload)> Buffered { get; } = [];

        /// <summary>Its timers not yet fired or cancelled.</summary>
        public List<TimerEntry> Timers { get; } = [];
    }

    /// <summary>Where an execution's awaits resume: posted back to the pump's queue, never run by another thread.</summary>
    internal sealed class ExecutionSynchronizationContext(VirtualDurableEngine engine, Execution execution) : SynchronizationContext
    {
        public VirtualOrchestrationContext Orchestration { get; set; } = null!;

        public override void Post(SendOrPostCallback d, object? state) => engine.Post(execution, d, state);

        public override void Send(SendOrPostCallback d, object? state) =>
            throw new NotSupportedException("Orchestrator code cannot block on its own thread.");

        public override SynchronizationContext CreateCopy() => this;
    }

    private sealed class ActivityCall(Execution execution, string name, string? input, int action)
    {
        public int Action { get; } = action;
        public Execution Execution { get; } = execution;
        public string Name { get; } = name;
        public string? Input { get; } = input;
        public TaskCompletionSource<ActivityOutcome> Completion { get; } = new();
    }

    internal sealed class TimerEntry(VirtualDurableEngine engine, Execution execution, DateTime fireAt, long sequence, int action, CancellationToken token)
    {
        public int Action { get; } = action;
        public Execution Execution { get; } = execution;
        public DateTime FireAt { get; } = fireAt;
        public CancellationToken Token { get; } = token;
        public long Sequence { get; } = sequence;
        public TaskCompletionSource Completion { get; } = new();
        public CancellationTokenRegistration Registration { get; set; }
        public bool Done { get; set; }
        public bool CallbackRan { get; set; }
        public bool CancelledOffThread { get; set; }
        public bool OffThreadNoticed { get; set; }
        public bool IsPending => !Done && !Token.IsCancellationRequested && !Execution.Abandoned;

        public void OnCancelled() => engine.OnTimerCancelled(this);
    }

    internal interface IEventWaiter
    {
        void Complete(string? payload);
    }

    internal sealed class EventWaiter<T> : TaskCompletionSource<T>, IEventWaiter
    {
        public void Complete(string? payload)
        {
            T value;
            try
            {
                value = Converter.Deserialize<T>(payload)!;
            }
            catch (Exception e)
            {
                TrySetException(e);
                return;
            }
            TrySetResult(value);
        }
    }
}
