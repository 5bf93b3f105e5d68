using System.Reflection;
using System.Text.Json.Nodes;
using Retention.Core.Definitions;
using Retention.Core.Events;
using Retention.Core.Runtime;
using static Retention.Core.Tests.JourneyBuilder;

namespace Retention.Core.Tests;

/// <summary>
/// <see cref="JourneyDefinition.ReactsTo"/> is what the router asks before it raises an event to an instance, so it must
/// never say no to an event the interpreter would act on: for each shipped journey, waiting after its start, every event
/// of a type it does not react to leaves the instance unchanged.
/// </summary>
public sealed class JourneyEventReaction
{
    private readonly JourneyInterpreter _interpreter = new(new InterpreterSettings(TimeZoneInfo.Utc, TimeSpan.FromHours(6))
    {
        Calendars = new Dictionary<string, Calendars.BusinessCalendar> { ["mon-fri"] = Shipped.Calendar("mon-fri") },
        DefaultCalendar = "mon-fri",
    });

    [Fact]
    public void AnEventOfATypeAJourneyDoesNotReactToLeavesItsInstanceUnchanged()
    {
        var journeys = Shipped.JourneyFiles
            .Select(f => new JourneyDefinitionReader().Read(File.ReadAllText(f)).Definition! with { Version = 1 })
            .ToList();
        var types = typeof(KnownEventTypes).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (string)f.GetValue(null)!)
            .Concat(journeys.SelectMany(j => j.Steps.OfType<WaitForEventStep>().Select(s => s.Event)))
            .Concat(journeys.SelectMany(j => j.ExitOn.Select(e => e.Event)))
            .Concat(journeys.Select(j => j.Goal?.Event).OfType<string>())
            .Concat(journeys.SelectMany(j => j.Clocks.Values.SelectMany(c => c.PauseOn.Concat(c.ResumeOn)).Select(r => r.Event)))
            .Append("bench.other")
            .Distinct(StringComparer.Ordinal)
            .ToList();
        var (waiting, ignoredPairs) = (0, 0);
        foreach (var journey in journeys)
        {
            var data = new JsonObject
            {
                ["customerId"] = "C1", ["saleId"] = "S1", ["complaintId"] = "K1", ["referralId"] = "R1", ["date"] = "2026-03-02",
                ["birthday"] = "1990-03-10", ["to"] = "inactive", ["severity"] = "high", ["status"] = "pending_customer",
            };
            var trigger = Event(journey.Trigger is EventTrigger t ? t.Event : "schedule.fired", data);
            var started = _interpreter.Interpret(journey, null, Start(journey, trigger: trigger), Monday);
            if (started.State.Status.IsFinished())
            {
                continue; // nothing is raised to a finished instance
            }
            waiting++;
            foreach (var type in types)
            {
                if (journey.ReactsTo(type))
                {
                    continue;
                }
                ignoredPairs++;
                var after = _interpreter.Interpret(journey, started.State, new EventReceived(Event(type, (JsonObject)data.DeepClone())), Monday.AddMinutes(1));
                Assert.False(after.Changed, $"{journey.Id} changed on {type}, which it does not react to");
            }
            Assert.All(types.Where(t => journey.AwaitedEventTypes.Contains(t) || journey.ExitOn.Any(e => e.Event == t)), t => Assert.True(journey.ReactsTo(t)));
        }
        Assert.True(waiting >= journeys.Count - 2, $"only {waiting} of {journeys.Count} shipped journeys wait after their start");
        Assert.True(ignoredPairs > waiting, "every journey reacted to nearly every type: the check checked nothing");
    }
}
