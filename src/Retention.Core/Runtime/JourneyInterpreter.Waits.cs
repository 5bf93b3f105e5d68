using Retention.Core.Conditions;
using Retention.Core.Definitions;
using Retention.Core.Events;
using Retention.Core.Time;

namespace Retention.Core.Runtime;

public sealed partial class JourneyInterpreter
{
    /// <summary>Waits: when a wait is due, which events answer it, and the buffer of events that arrived before their wait.</summary>
    private sealed partial class Run
    {
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
    }
}
