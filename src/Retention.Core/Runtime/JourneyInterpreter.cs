using System.Text.Json;
using System.Text.Json.Nodes;
using Retention.Core.Calendars;
using Retention.Core.Conditions;
using Retention.Core.Customers;
using Retention.Core.Definitions;
using Retention.Core.Events;
using Retention.Core.Time;

namespace Retention.Core.Runtime;

/// <summary>
/// The pure journey interpreter: (definition, state, input, now) → (state', commands). No I/O, no clock, no
/// randomness: splits and holdouts come from a stable hash, so a replay or a simulation takes the same path.
/// </summary>
public sealed class JourneyInterpreter(InterpreterSettings settings)
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
    private sealed class Run(JourneyInterpreter owner, JourneyDefinition journey, JourneyInstanceState state, DateTimeOffset now)
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

        public InterpretResult OnEvent(CustomerEvent received)
        {
            if (state.Status.IsFinished())
            {
                return Ignored(state, "the instance has finished");
            }
            if (state.SeenEvents.Contains(received.Key))
            {
                return Ignored(state, "duplicate event");
            }
            state.SeenEvents.Add(received.Key);
            if (state.SeenEvents.Count > _settings.SeenEventsKept)
            {
                state.SeenEvents.RemoveRange(0, state.SeenEvents.Count - _settings.SeenEventsKept);
            }
            // The instance's copy of the profile changes as the stored one does.
            var profileChange = ProfileChange.Of(received);
            profileChange?.ApplyTo(state.Customer);
            if (profileChange is ProfileMerge)
            {
                FollowChangedDate();
            }
            PauseOrResumeClocks(received);
            var scope = Scope(received);
            if (journey.Goal is { } goal && !state.Converted && received.Type == goal.Event
                && received.Time <= goal.Within.AddTo(state.StartedAt, Zone) && (goal.Filter?.Evaluate(scope) ?? true))
            {
                state.Converted = true;
                state.ConvertedAt = now;
                Record(HistoryKinds.Converted, state.CurrentStepId, $"goal {goal.Event}");
                if (goal.ExitOnGoal || state.Holdout)
                {
                    return End(InstanceStatus.Exited, state.Holdout ? "holdout-converted" : "converted");
                }
            }
            foreach (var exit in journey.ExitOn)
            {
                if (exit.Event == received.Type && Matches(exit.Match, exit.Filter, received, scope))
                {
                    return End(InstanceStatus.Exited, $"exit-on:{received.Type}");
                }
            }
            if (state.Status != InstanceStatus.Suspended && !state.Holdout
                && state.CurrentStepId is { } stepId && journey.FindStep(stepId) is WaitForEventStep wait
                && state.Status == InstanceStatus.Waiting && Matches(wait, received))
            {
                state.Timer = null; // the event won the race: the timeout is cancelled, and its firing is now stale
                return Arrived(wait, received);
            }
            if (journey.AwaitedEventTypes.Contains(received.Type))
            {
                Buffer(received);
                return Done();
            }
            return _history.Count > 0 || profileChange is not null ? Done() : Ignored(state, "not awaited");
        }

        /// <summary>A wait for a profile date (a birthday) moves when the profile's date changes.</summary>
        private void FollowChangedDate()
        {
            if (state.Status == InstanceStatus.Waiting && state.Timer is { Purpose: TimerPurpose.Wait } timer
                && journey.FindStep(timer.StepId ?? "") is WaitStep { Until: WaitDate } wait && DueAt(wait) is { } due && due != timer.DueAt && due > now)
            {
                SetTimer(due, TimerPurpose.Wait, wait.Id);
                Record(HistoryKinds.WaitMoved, wait.Id, $"the date changed: now until {due:O}");
            }
        }

        /// <summary>The pyramid's recomputation announces status and tier changes; the instance's copy of the profile follows them.</summary>
        private void PauseOrResumeClocks(CustomerEvent received)
        {
            foreach (var (name, clock) in state.Clocks.Where(c => !c.Value.Stopped).ToList())
            {
                var definition = journey.Clocks.GetValueOrDefault(name);
                if (definition is null)
                {
                    continue;
                }
                bool Hits(IReadOnlyList<EventRule> rules) => rules.Any(r => r.Event == received.Type && Matches(r.Match, r.Filter, received, Scope(received)));
                if (clock.Clock.IsRunning && Hits(definition.PauseOn))
                {
                    state.Clocks[name] = clock with { Clock = clock.Clock.Pause(now, CalendarOf(clock)) };
                    Record(HistoryKinds.ClockPaused, state.CurrentStepId, $"{name} at {Elapsed(name)} on {received.Type}");
                    RearmDeadline(name);
                }
                else if (!clock.Clock.IsRunning && Hits(definition.ResumeOn))
                {
                    state.Clocks[name] = clock with { Clock = clock.Clock.Resume(now) };
                    Record(HistoryKinds.ClockResumed, state.CurrentStepId, $"{name} from {Elapsed(name)} on {received.Type}");
                    RearmDeadline(name);
                }
            }
        }

        /// <summary>A wait racing this clock's threshold moves with it: no timer while paused, a new one (new token) on resume.</summary>
        private void RearmDeadline(string clock)
        {
            if (state.Status is InstanceStatus.Waiting or InstanceStatus.Suspended && !state.Holdout
                && state.CurrentStepId is { } stepId && journey.FindStep(stepId) is WaitForEventStep { Deadline: { } deadline } wait && deadline.Clock == clock)
            {
                state.Timer = null;
                state.TimerElapsedWhileSuspended = false;
                if (ThresholdAt(deadline) is { } due)
                {
                    SetTimer(due, TimerPurpose.EventTimeout, wait.Id);
                }
            }
        }

        public InterpretResult OnSuspend(string reason)
        {
            if (state.Status.IsFinished() || state.Status == InstanceStatus.Suspended)
            {
                return Ignored(state, $"cannot suspend a {state.Status} instance");
            }
            state.Status = InstanceStatus.Suspended;
            Record(HistoryKinds.Suspended, state.CurrentStepId, reason);
            return Done();
        }

        public InterpretResult OnResume(string reason)
        {
            if (state.Status != InstanceStatus.Suspended)
            {
                return Ignored(state, $"cannot resume a {state.Status} instance");
            }
            state.Status = InstanceStatus.Waiting;
            Record(HistoryKinds.Resumed, state.CurrentStepId, reason);
            if (state.TimerElapsedWhileSuspended && state.Timer is { } timer)
            {
                return Fire(timer);
            }
            if (state.CurrentStepId is { } stepId && journey.FindStep(stepId) is WaitForEventStep wait && TakeBuffered(wait) is { } early)
            {
                state.Timer = null;
                return Arrived(wait, early);
            }
            return Done();
        }

        public InterpretResult Reenter(string stepId, string note)
        {
            state.Timer = null;
            state.TimerElapsedWhileSuspended = false;
            Record(HistoryKinds.Migrated, stepId, note);
            return Continue(stepId);
        }

        public InterpretResult OnTerminate(string reason)
        {
            return state.Status.IsFinished()
                ? Ignored(state, $"the instance is already {state.Status}")
                : End(InstanceStatus.Terminated, reason);
        }

        private InterpretResult Arrived(WaitForEventStep wait, CustomerEvent received)
        {
            var scope = Scope(received);
            foreach (var (key, path) in wait.Capture)
            {
                state.Context[key] = scope.Resolve(path)?.DeepClone();
            }
            Record(HistoryKinds.EventReceived, wait.Id, received.Type);
            return Continue(wait.OnEvent);
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

        /// <summary>The named person, else the customer's owner, else the role's holder in the customer's region, else the role's inbox.</summary>
        private (string? AssigneeId, string? Role, string Whom) Assign(TaskAssignee assignee)
        {
            if (assignee.Path is { } path && Condition.AsTextOrNull(Scope(null).Resolve(path)) is { Length: > 0 } named)
            {
                return (named, assignee.Role, path);
            }
            if (assignee.Owner && CustomerSnapshot.Text(state.Customer, "ownerId") is { Length: > 0 } ownerId)
            {
                return (ownerId, null, "the owner");
            }
            var role = assignee.Role ?? "unassigned";
            var holder = assignee.Role is null ? null : _settings.Staff.Resolve(CustomerSnapshot.Text(state.Customer, "region"), assignee.Role);
            return (holder, role, holder is null ? $"the {role} inbox" : $"the {role}");
        }

        private void RunClockStep(ClockStep step)
        {
            var existing = state.Clocks.GetValueOrDefault(step.Clock);
            switch (step.Action)
            {
                case ClockAction.Start:
                    var definition = journey.Clocks[step.Clock];
                    var calendar = CalendarFor(definition.Calendar);
                    var target = TargetOf(definition.Target);
                    state.Clocks[step.Clock] = new ClockState(SlaClock.StartAt(target, now), calendar.Id, now, Stopped: false);
                    Record(HistoryKinds.ClockStarted, step.Id, $"{step.Clock}: target {target.TotalHours:0.##} working hours in {calendar.Id}");
                    break;
                case ClockAction.Stop when existing is { Stopped: false }:
                    state.Clocks[step.Clock] = existing with { Clock = existing.Clock.Pause(now, CalendarOf(existing)), Stopped = true };
                    Record(HistoryKinds.ClockStopped, step.Id, $"{step.Clock} at {Elapsed(step.Clock)}{(existing.Clock.IsBreached(now, CalendarOf(existing)) ? ", after its target" : ", within target")}");
                    break;
                case ClockAction.Resume when existing is { Stopped: true }:
                    state.Clocks[step.Clock] = existing with { Clock = existing.Clock.Resume(now), Stopped = false };
                    Record(HistoryKinds.ClockResumed, step.Id, $"{step.Clock} from {Elapsed(step.Clock)}");
                    break;
                default:
                    Record(HistoryKinds.ClockUnchanged, step.Id, $"{step.Clock} is {existing?.Status ?? "not started"}; {step.Action.ToString().ToLowerInvariant()} does nothing");
                    break;
            }
        }

        private TimeSpan TargetOf(ClockTarget target)
        {
            if (target.Path is { } path && Condition.AsTextOrNull(Scope(null).Resolve(path)) is { } value && target.Cases.TryGetValue(value, out var chosen))
            {
                return chosen.Time;
            }
            return (target.Default ?? throw new InvalidOperationException($"No clock target for this value and no default in journey {journey.Id}.")).Time;
        }

        /// <summary>When the clock reaches the deadline's share of its target; null while it is paused.</summary>
        private DateTimeOffset? ThresholdAt(ClockDeadline deadline)
        {
            var clock = state.Clocks[deadline.Clock];
            return clock.Stopped ? null : clock.Clock.ReachesAt((double)deadline.Percent / 100, now, CalendarOf(clock));
        }

        private string Elapsed(string clock)
        {
            var c = state.Clocks[clock];
            return $"{c.Clock.Elapsed(now, CalendarOf(c)).TotalHours:0.##}h of {c.Clock.Target.TotalHours:0.##}h";
        }

        private BusinessCalendar CalendarOf(ClockState clock) =>
            _settings.Calendars.TryGetValue(clock.Calendar, out var calendar) ? calendar
            : throw new InvalidOperationException($"No business calendar '{clock.Calendar}' for journey {journey.Id}.");

        private static SplitPath PickPath(SplitStep split, int bucket)
        {
            decimal upTo = 0;
            foreach (var path in split.Paths)
            {
                upTo += path.Percent * 100;
                if (bucket < upTo)
                {
                    return path;
                }
            }
            return split.Paths[^1];
        }

        private void Emit(EmitStep emit, int occurrence)
        {
            var scope = Scope(null);
            if (Condition.AsTextOrNull(scope.Resolve(emit.Customer)) is not { Length: > 0 } customerId)
            {
                Record(HistoryKinds.EmitSkipped, emit.Id, $"no customer at {emit.Customer}");
                return;
            }
            var data = new JsonObject { ["customerId"] = customerId };
            foreach (var (name, source) in emit.Data)
            {
                data[name] = Resolve(source, scope);
            }
            _commands.Add(new EmitEvent(new OccurrenceKey(state.InstanceId, emit.Id, occurrence).ToString(), emit.Event, customerId, now, data));
            Record(HistoryKinds.Emit, emit.Id, $"{emit.Event} for {(customerId == state.CustomerId ? "this customer" : "another customer")}");
        }

        private static JsonNode? Resolve(ValueSource source, ValueScope scope) =>
            source.Path is { } path ? scope.Resolve(path)?.DeepClone() : source.Literal?.DeepClone();

        private void ApplyUpdate(UpdateStep update, int occurrence)
        {
            var scope = Scope(null);
            var values = update.SetAttributes.ToDictionary(kv => kv.Key, kv => Resolve(kv.Value, scope));
            var sums = (update.AddToAttributes ?? new Dictionary<string, ValueSource>())
                .ToDictionary(kv => kv.Key, kv => JsonNumbers.TryGetDecimal(Resolve(kv.Value, scope), out var n) ? n : 0m);
            var command = new UpdateCustomer(state.CustomerId, values, update.AddTags, update.RemoveTags, sums, new OccurrenceKey(state.InstanceId, update.Id, occurrence).ToString());
            command.ApplyTo(state.Customer);
            _commands.Add(command);
            Record(HistoryKinds.Update, update.Id, string.Join(", ", values.Keys.Select(k => $"attributes.{k}")
                .Concat(sums.Select(kv => $"attributes.{kv.Key} += {kv.Value}"))
                .Concat(update.AddTags.Select(t => $"+{t}")).Concat(update.RemoveTags.Select(t => $"-{t}"))));
        }

        /// <summary>Working hours in the step's calendar, else the customer's region's, else the default one.</summary>
        private DateTimeOffset AddBusinessTime(JourneyDuration duration, string? calendarId) => CalendarFor(calendarId).Add(now, duration.Time);

        private BusinessCalendar CalendarFor(string? calendarId)
        {
            var id = calendarId
                ?? (CustomerSnapshot.Text(state.Customer, "region") is { } region && _settings.RegionCalendars.TryGetValue(region, out var byRegion) ? byRegion : null)
                ?? _settings.DefaultCalendar;
            return id is not null && _settings.Calendars.TryGetValue(id, out var calendar) ? calendar
                : throw new InvalidOperationException($"No business calendar '{id ?? "(none configured)"}' for journey {journey.Id}.");
        }

        private DateTimeOffset? DueAt(WaitStep wait) => wait.Until switch
        {
            WaitDuration d => d.Duration.AddTo(now, Zone),
            WaitBusinessTime b => AddBusinessTime(b.Duration, b.Calendar),
            WaitTimeOfDay t => LocalClock.NextTimeOfDay(now, Zone, t.At, t.DaysLater),
            WaitDate d => DateAt(d),
            _ => throw new InvalidOperationException($"Unhandled wait {wait.Until.GetType().Name}."),
        };

        private DateTimeOffset? DateAt(WaitDate wait)
        {
            var text = Condition.AsTextOrNull(Scope(null).Resolve(wait.Path));
            if (text is null || !DateOnly.TryParseExact(text.Length >= 10 ? text[..10] : text, "yyyy-MM-dd", out var date))
            {
                return null;
            }
            var zone = Zone;
            if (wait.Yearly)
            {
                // The next anniversary whose offset time is still ahead.
                var anniversary = LocalClock.NextYearly(now - wait.Offset.Approximate, zone, date, wait.At);
                var due = wait.Offset.AddTo(anniversary, zone);
                return due > now ? due : wait.Offset.AddTo(LocalClock.NextYearly(anniversary, zone, date, wait.At), zone);
            }
            return wait.Offset.AddTo(LocalClock.ToInstant(date.ToDateTime(wait.At), zone), zone);
        }

        private bool Matches(WaitForEventStep wait, CustomerEvent received) =>
            received.Type == wait.Event && Matches(wait.Match, wait.Filter, received, Scope(received));

        private static bool Matches(IReadOnlyDictionary<string, string> match, Condition? filter, CustomerEvent received, ValueScope scope) =>
            match.All(m => received.Data[m.Key] is { } value && Comparison.ValuesEqual(value, scope.Resolve(m.Value)))
            && (filter?.Evaluate(scope) ?? true);

        private CustomerEvent? TakeBuffered(WaitForEventStep wait)
        {
            state.Buffered.RemoveAll(b => b.BufferedAt < now - BufferWindow);
            var found = state.Buffered.FirstOrDefault(b => Matches(wait, b.Event));
            if (found is null)
            {
                return null;
            }
            state.Buffered.Remove(found);
            Record(HistoryKinds.BufferedDelivered, wait.Id, $"{found.Event.Type} received {found.BufferedAt:O}");
            return found.Event;
        }

        private void Buffer(CustomerEvent received)
        {
            state.Buffered.RemoveAll(b => b.BufferedAt < now - BufferWindow);
            state.Buffered.Add(new BufferedEvent(received, now));
            if (state.Buffered.Count > _settings.BufferedEventsKept)
            {
                state.Buffered.RemoveRange(0, state.Buffered.Count - _settings.BufferedEventsKept);
            }
            Record(HistoryKinds.EventBuffered, state.CurrentStepId, $"{received.Type} kept for a later wait");
        }

        private ValueScope Scope(CustomerEvent? received) =>
            new(state.Customer, state.Trigger, state.Context, received?.ToJson(), JourneyInfo());

        private JsonObject JourneyInfo() => new()
        {
            ["id"] = journey.Id,
            ["name"] = journey.Name,
            ["version"] = journey.Version,
            ["instanceId"] = state.InstanceId,
            ["clocks"] = ClockValues(),
        };

        /// <summary><c>journey.clocks.resolution.elapsedPercent</c> and friends, so a branch can pick up where a reopened clock stands.</summary>
        private JsonObject ClockValues()
        {
            var clocks = new JsonObject();
            foreach (var (name, clock) in state.Clocks)
            {
                var calendar = CalendarOf(clock);
                var elapsed = clock.Clock.Elapsed(now, calendar);
                clocks[name] = new JsonObject
                {
                    ["status"] = clock.Status,
                    ["elapsedMinutes"] = Math.Round(elapsed.TotalMinutes, 2),
                    ["targetMinutes"] = Math.Round(clock.Clock.Target.TotalMinutes, 2),
                    ["elapsedPercent"] = Math.Round(100 * elapsed.TotalMinutes / clock.Clock.Target.TotalMinutes, 2),
                    ["breached"] = elapsed >= clock.Clock.Target,
                };
            }
            return clocks;
        }

        private JsonObject TemplateVariables() => new()
        {
            ["customer"] = state.Customer.DeepClone(),
            ["trigger"] = state.Trigger.DeepClone(),
            ["context"] = state.Context.DeepClone(),
            ["journey"] = JourneyInfo(),
        };

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
