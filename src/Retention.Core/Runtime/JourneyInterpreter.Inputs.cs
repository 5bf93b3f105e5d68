using Retention.Core.Customers;
using Retention.Core.Definitions;
using Retention.Core.Events;

namespace Retention.Core.Runtime;

public sealed partial class JourneyInterpreter
{
    /// <summary>What each input does to the instance: an event (exits, clocks, the awaited answer, buffering), suspend, resume, re-entry and terminate.</summary>
    private sealed partial class Run
    {
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
    }
}
