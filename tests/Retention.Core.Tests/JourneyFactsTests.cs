using System.Text.Json.Nodes;
using Retention.Core.Calendars;
using Retention.Core.Reporting;
using Retention.Core.Runtime;

namespace Retention.Core.Tests;

/// <summary>An instance's report facts are a function of its state: what it entered, reached, is at, ended with, and its clocks.</summary>
public sealed class JourneyFactsOf
{
    private static readonly DateTimeOffset Monday = new(2027, 3, 1, 9, 0, 0, TimeSpan.Zero);

    private const string NineToFive = """
        { "id": "nine-to-five", "timeZone": "UTC", "workingHours": { "monday": ["09:00-17:00"], "tuesday": ["09:00-17:00"], "wednesday": ["09:00-17:00"],
          "thursday": ["09:00-17:00"], "friday": ["09:00-17:00"], "saturday": ["09:00-17:00"], "sunday": ["09:00-17:00"] } }
        """;

    private static readonly IReadOnlyDictionary<string, BusinessCalendar> Calendars =
        CalendarSet.Read(CalendarSet.Document([NineToFive], new Dictionary<string, string>(), "nine-to-five")).Set!.ById;

    private static JourneyInstanceState State(InstanceStatus status, string? outcome = null) => new()
    {
        InstanceId = "j:C1", JourneyId = "j", CustomerId = "C1", Status = status, CurrentStepId = "wait", Outcome = outcome,
        Occurrences = new() { ["start"] = 1, ["wait"] = 2 },
        Trigger = new JsonObject { ["data"] = new JsonObject { ["severity"] = "critical" } },
        Clocks = new() { ["response"] = new ClockState(SlaClock.StartAt(TimeSpan.FromHours(1), Monday), "nine-to-five", Monday, Stopped: false) },
        StartedAt = Monday,
    };

    [Fact]
    public void AWaitingInstanceIsAtItsStepAndItsRunningClockBreachesOnlyPastItsTarget()
    {
        Assert.Equal(["entered", "step:start", "step:wait", "at:wait", "sla:critical:started:response"], JourneyFacts.Of(State(InstanceStatus.Waiting), Monday.AddMinutes(59), Calendars));
        Assert.Contains("sla:critical:breached:response", JourneyFacts.Of(State(InstanceStatus.Waiting), Monday.AddHours(1), Calendars));
    }

    [Fact]
    public void AFinishedInstanceCountsItsOutcomeAndItsClocksAsTheyStoodWhenItEnded()
    {
        var ended = State(InstanceStatus.Completed, "responded");
        ended.EndedAt = Monday.AddMinutes(30);
        var facts = JourneyFacts.Of(ended, Monday.AddDays(3), Calendars);
        Assert.Equal(["entered", "step:start", "step:wait", "outcome:completed:responded", "sla:critical:started:response"], facts);
        Assert.Equal(("completed", "responded"), JourneyFacts.ReadOutcome("outcome:completed:responded"));
    }

    [Fact]
    public void AHoldoutCountsItsConversionApartAndATerminationItsStatusOnly()
    {
        var held = State(InstanceStatus.Terminated, "ended on publishing version 2 by someone");
        held.Holdout = true;
        held.Converted = true;
        held.Clocks.Clear();
        Assert.Equal(["entered", "holdout", "holdout-converted", "step:start", "step:wait", "outcome:terminated"], JourneyFacts.Of(held, Monday, Calendars));
    }

    [Fact]
    public void NothingIsCountedBeforeTheInstanceRuns() => Assert.Empty(JourneyFacts.Of(State(InstanceStatus.Pending), Monday, Calendars));
}
