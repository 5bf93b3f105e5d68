using System.Text.Json.Nodes;
using Retention.Core.Calendars;
using Retention.Core.Conditions;
using Retention.Core.Customers;
using Retention.Core.Definitions;
using Retention.Core.Events;
using Retention.Core.Time;

namespace Retention.Core.Runtime;

public sealed partial class JourneyInterpreter
{
    /// <summary>SLA clocks and business calendars: starting, pausing and re-arming a clock, its targets and thresholds, and business-time arithmetic.</summary>
    private sealed partial class Run
    {
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
    }
}
