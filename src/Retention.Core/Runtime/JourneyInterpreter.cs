using System.Text.Json;
using System.Text.Json.Nodes;
using Retention.Core.Customers;
using Retention.Core.Definitions;
using Retention.Core.Time;

namespace Retention.Core.Runtime;

/// <summary>
/// The pure journey interpreter: (definition, state, input, now) → (state', commands). No I/O, no clock, no
/// randomness: splits and holdouts come from a stable hash, so a replay or a simulation takes the same path.
/// </summary>
public sealed partial class JourneyInterpreter(InterpreterSettings settings)
{
    public InterpreterSettings Settings { get; } = settings;

    public InterpretResult Interpret(JourneyDefinition journey, JourneyInstanceState? current, JourneyInput input, DateTimeOffset now)
    {
        if (input is StartInstance start)
        {
            return current is null
                ? new Run(this, journey, NewState(journey, start, now), now).Start(start)
                : Ignored(current, "the instance already exists");
        }
        if (current is null)
        {
            throw new InvalidOperationException("Only a start input can create an instance.");
        }
        var run = new Run(this, journey, Clone(current), now);
        return input switch
        {
            TimerFired timer => run.OnTimer(timer.Token),
            EventReceived received => run.OnEvent(received.Event),
            SuspendInstance suspend => run.OnSuspend(suspend.Reason),
            ResumeInstance resume => run.OnResume(resume.Reason),
            TerminateInstance terminate => run.OnTerminate(terminate.Reason),
            MigrateInstance migrate => JourneyMigration.Migrate(this, journey, current, migrate, now),
            _ => throw new InvalidOperationException($"Unhandled input {input.GetType().Name}."),
        };
    }

    /// <summary>Runs <paramref name="journey"/> from <paramref name="stepId"/> for an instance migrated onto it; its old timer becomes stale.</summary>
    public InterpretResult Reenter(JourneyDefinition journey, JourneyInstanceState current, string stepId, string note, DateTimeOffset now) =>
        new Run(this, journey, Clone(current), now).Reenter(stepId, note);

    private static InterpretResult Ignored(JourneyInstanceState state, string reason) => new(state, [], [], false, reason);

    private static JourneyInstanceState NewState(JourneyDefinition journey, StartInstance start, DateTimeOffset now) => new()
    {
        InstanceId = start.InstanceId,
        JourneyId = journey.Id,
        Version = journey.Version,
        CustomerId = start.Trigger.CustomerId,
        EntryKey = start.EntryKey,
        Status = InstanceStatus.Pending,
        Customer = (JsonObject)start.Customer.DeepClone(),
        Trigger = start.Trigger.ToJson(),
        StartedAt = now,
        UpdatedAt = now,
    };

    private static JourneyInstanceState Clone(JourneyInstanceState state) =>
        JsonSerializer.Deserialize(JsonSerializer.SerializeToUtf8Bytes(state, CoreJsonContext.Default.JourneyInstanceState), CoreJsonContext.Default.JourneyInstanceState)!;

    /// <summary>One interpretation: collects commands and history while it moves the state on.</summary>
    private sealed partial class Run(JourneyInterpreter owner, JourneyDefinition journey, JourneyInstanceState state, DateTimeOffset now)
    {
        private readonly List<JourneyCommand> _commands = [];

        private readonly List<HistoryEntry> _history = [];

        private readonly InterpreterSettings _settings = owner.Settings;

        private TimeZoneInfo Zone => LocalClock.ResolveZone(CustomerSnapshot.Text(state.Customer, "timeZone"), _settings.DefaultTimeZone);

        private TimeSpan BufferWindow => journey.EventBufferWindow ?? _settings.EventBufferWindow;

        public InterpretResult Start(StartInstance start)
        {
            Record(HistoryKinds.Started, null, $"version {journey.Version}, trigger {start.Trigger.Type}");
            state.SeenEvents.Add(start.Trigger.Key);
            var awaited = journey.AwaitedEventTypes;
            // Buffered from when the service received the event, so a producer's clock cannot stretch the window.
            foreach (var early in start.RecentEvents.Where(e => e.Key != start.Trigger.Key && awaited.Contains(e.Type) && (e.ReceivedAt ?? e.Time) >= now - BufferWindow))
            {
                var received = early.ReceivedAt ?? early.Time;
                state.Buffered.Add(new BufferedEvent(early, received < now ? received : now));
            }
            // An exit event that overtook the trigger (a refund routed before its sale's start) still ends the instance.
            foreach (var early in start.RecentEvents.Where(e => e.Key != start.Trigger.Key && e.Time >= start.Trigger.Time))
            {
                if (journey.ExitOn.FirstOrDefault(x => x.Event == early.Type && Matches(x.Match, x.Filter, early, Scope(early))) is not null)
                {
                    state.SeenEvents.Add(early.Key);
                    return End(InstanceStatus.Exited, $"exit-on:{early.Type}");
                }
            }
            var bucket = StableHash.Bucket(journey.Id, state.CustomerId);
            if (bucket < journey.HoldoutPercent * 100)
            {
                state.Holdout = true;
                Record(HistoryKinds.Holdout, null, "in the holdout group: no steps run");
                if (journey.Goal is { } goal)
                {
                    state.Status = InstanceStatus.Waiting;
                    SetTimer(goal.Within.AddTo(state.StartedAt, Zone), TimerPurpose.GoalWindow, null);
                    return Done();
                }
                return End(InstanceStatus.Completed, "holdout");
            }
            return Continue(journey.Start);
        }

        public InterpretResult OnTimer(long token)
        {
            if (state.Status.IsFinished())
            {
                return Ignored(state, "the instance has finished");
            }
            if (state.Timer is not { } timer || timer.Token != token)
            {
                return Ignored(state, "stale timer");
            }
            if (state.Status == InstanceStatus.Suspended)
            {
                state.TimerElapsedWhileSuspended = true;
                Record(HistoryKinds.TimerHeld, timer.StepId, "fired while suspended; runs on resume");
                return Done();
            }
            return Fire(timer);
        }

        private InterpretResult Fire(PendingTimer timer)
        {
            state.Timer = null;
            state.TimerElapsedWhileSuspended = false;
            switch (timer.Purpose)
            {
                case TimerPurpose.Wait:
                    Record(HistoryKinds.TimerFired, timer.StepId, $"due {timer.DueAt:O}");
                    return Continue(Step<WaitStep>(timer.StepId).Next);
                case TimerPurpose.EventTimeout:
                    var wait = Step<WaitForEventStep>(timer.StepId);
                    return TimedOut(wait, timer.DueAt);
                case TimerPurpose.GoalWindow:
                    return End(InstanceStatus.Completed, "holdout-not-converted");
                default:
                    throw new InvalidOperationException($"Unhandled timer purpose {timer.Purpose}.");
            }
        }

        private InterpretResult TimedOut(WaitForEventStep wait, DateTimeOffset dueAt)
        {
            Record(HistoryKinds.TimedOut, wait.Id, $"no {wait.Event} by {dueAt:O}");
            if (wait.Deadline is { } deadline)
            {
                // Warnings before the target and breaches at or after it are counted apart (metrics and SLA reports).
                Record(deadline.Percent < 100 ? HistoryKinds.SlaWarning : HistoryKinds.SlaBreach, wait.Id, $"{deadline.Clock} reached {deadline.Percent}% of its target");
            }
            return Continue(wait.OnTimeout);
        }

        /// <summary>Runs steps from <paramref name="stepId"/> until a wait or the end, with a loop bound as a safety stop.</summary>
        private InterpretResult Continue(string? stepId)
        {
            state.Status = InstanceStatus.Running;
            for (var executed = 0; ; executed++)
            {
                if (stepId is null)
                {
                    return End(InstanceStatus.Completed, "completed");
                }
                if (executed >= _settings.MaxStepsPerInput)
                {
                    return End(InstanceStatus.Failed, $"more than {_settings.MaxStepsPerInput} steps without a wait");
                }
                var step = journey.FindStep(stepId);
                if (step is null)
                {
                    return End(InstanceStatus.Failed, $"unknown step {stepId}");
                }
                state.CurrentStepId = step.Id;
                var occurrence = state.Occurrences[step.Id] = state.Occurrences.GetValueOrDefault(step.Id) + 1;
                switch (step)
                {
                    case WaitStep wait:
                        if (DueAt(wait) is not { } due)
                        {
                            return End(InstanceStatus.Exited, $"no date at {((WaitDate)wait.Until).Path}");
                        }
                        if (due <= now)
                        {
                            Record(HistoryKinds.WaitSkipped, wait.Id, $"due {due:O} has passed");
                            stepId = wait.Next;
                            continue;
                        }
                        SetTimer(due, TimerPurpose.Wait, wait.Id);
                        state.Status = InstanceStatus.Waiting;
                        Record(HistoryKinds.Waiting, wait.Id, $"until {due:O}");
                        return Done();
                    case SendStep send:
                        var sendKey = SendKeys.Of(new OccurrenceKey(state.InstanceId, send.Id, occurrence));
                        _commands.Add(new SendMessage(sendKey, StableHash.Uuid(sendKey), now, state.InstanceId, journey.Id, journey.Version,
                            send.Id, state.CustomerId, send.Channel, send.Category, send.Template, TemplateVariables(), send.Fallback,
                            send.ExpiresAfter?.AddTo(now, Zone)));
                        Record(HistoryKinds.Send, send.Id, $"{send.Channel.ToString().ToLowerInvariant()} {send.Template} ({send.Category.ToString().ToLowerInvariant()})");
                        stepId = send.Next;
                        continue;
                    case WaitForEventStep awaitEvent:
                        if (TakeBuffered(awaitEvent) is { } early)
                        {
                            return Arrived(awaitEvent, early);
                        }
                        state.Timer = null;
                        if (awaitEvent.Deadline is { } deadline)
                        {
                            if (!state.Clocks.ContainsKey(deadline.Clock))
                            {
                                return End(InstanceStatus.Failed, $"clock {deadline.Clock} was never started");
                            }
                            var threshold = ThresholdAt(deadline);
                            if (threshold <= now)
                            {
                                return TimedOut(awaitEvent, threshold.Value);
                            }
                            if (threshold is { } at)
                            {
                                SetTimer(at, TimerPurpose.EventTimeout, awaitEvent.Id);
                            }
                            Record(HistoryKinds.WaitingForEvent, awaitEvent.Id, $"{awaitEvent.Event} until {deadline.Clock} reaches {deadline.Percent}%"
                                + (threshold is { } t ? $" at {t:O}" : " (clock paused)"));
                        }
                        else if (awaitEvent.Timeout is { } timeout)
                        {
                            var until = awaitEvent.TimeoutInBusinessTime ? AddBusinessTime(timeout, awaitEvent.Calendar) : timeout.AddTo(now, Zone);
                            SetTimer(until, TimerPurpose.EventTimeout, awaitEvent.Id);
                            Record(HistoryKinds.WaitingForEvent, awaitEvent.Id, $"{awaitEvent.Event} until {until:O}");
                        }
                        else
                        {
                            Record(HistoryKinds.WaitingForEvent, awaitEvent.Id, awaitEvent.Event);
                        }
                        state.Status = InstanceStatus.Waiting;
                        return Done();
                    case ClockStep clockStep:
                        RunClockStep(clockStep);
                        stepId = clockStep.Next;
                        continue;
                    case BranchStep branch:
                        var scope = Scope(null);
                        var taken = branch.Cases.FirstOrDefault(c => c.When.Evaluate(scope));
                        stepId = taken?.Next ?? branch.Otherwise;
                        Record(HistoryKinds.Branch, branch.Id, taken is null ? "otherwise" : $"case {branch.Cases.ToList().IndexOf(taken) + 1}");
                        continue;
                    case SplitStep split:
                        var bucket = StableHash.Bucket(journey.Id, state.CustomerId, split.Id);
                        var path = PickPath(split, bucket);
                        Record(HistoryKinds.Split, split.Id, $"path to {path.Next}");
                        stepId = path.Next;
                        continue;
                    case TaskStep task:
                        var (assigneeId, role, whom) = Assign(task.Assignee);
                        _commands.Add(new CreateTask(new OccurrenceKey(state.InstanceId, task.Id, occurrence).ToString(), state.InstanceId, journey.Id, task.Id, state.CustomerId,
                            task.Kind, task.Title, assigneeId, role,
                            task.DueBusinessDays is { } days ? CalendarFor(null).EndOfWorkingDays(now, days) : task.Due.AddTo(now, Zone)));
                        Record(HistoryKinds.Task, task.Id, $"{task.Kind} for {whom}");
                        stepId = task.Next;
                        continue;
                    case UpdateStep update:
                        ApplyUpdate(update, occurrence);
                        stepId = update.Next;
                        continue;
                    case EmitStep emit:
                        Emit(emit, occurrence);
                        stepId = emit.Next;
                        continue;
                    case ExitStep exit:
                        return End(InstanceStatus.Completed, exit.Outcome);
                    default:
                        throw new InvalidOperationException($"Unhandled step type {step.GetType().Name}.");
                }
            }
        }

        private T Step<T>(string? id) where T : Step =>
            id is not null && journey.FindStep(id) is T step ? step : throw new InvalidOperationException($"Step {id} is not a {typeof(T).Name}.");

        private void SetTimer(DateTimeOffset due, TimerPurpose purpose, string? stepId)
        {
            var timer = new PendingTimer(state.NextToken++, due, purpose, stepId);
            state.Timer = timer;
            _commands.Add(new ScheduleTimer(state.InstanceId, timer.Token, due));
        }

        private InterpretResult End(InstanceStatus status, string outcome)
        {
            state.Status = status;
            state.Outcome = outcome;
            state.Timer = null;
            state.EndedAt = now;
            Record(HistoryKinds.Ended(status), state.CurrentStepId, outcome);
            return Done();
        }

        private void Record(string kind, string? stepId, string detail)
        {
            _history.Add(new HistoryEntry(now, kind, stepId, detail));
        }

        private InterpretResult Done()
        {
            state.UpdatedAt = now;
            state.HistoryCount += _history.Count;
            return new InterpretResult(state, _commands, _history, true);
        }
    }
}
