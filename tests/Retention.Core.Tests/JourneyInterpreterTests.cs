using System.Text.Json;
using System.Text.Json.Nodes;
using Retention.Core.Definitions;
using Retention.Core.Events;
using Retention.Core.Runtime;
using static Retention.Core.Tests.JourneyBuilder;

namespace Retention.Core.Tests;

public class JourneyInterpreterInterpret
{
    private static readonly TimeZoneInfo Shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");
    private readonly JourneyInterpreter _interpreter = new(new InterpreterSettings(Shanghai, TimeSpan.FromHours(6)));

    private const string SendThenExit = """{ "id": "send", "type": "send", "channel": "sms", "template": "hello", "category": "service", "next": "done" }, { "id": "done", "type": "exit", "outcome": "ok" }""";

    private InterpretResult Run(JourneyDefinition journey, JourneyInstanceState? state, JourneyInput input, DateTimeOffset now) =>
        _interpreter.Interpret(journey, state, input, now);

    private static ScheduleTimer Timer(InterpretResult result) => Assert.Single(result.Commands.OfType<ScheduleTimer>());

    [Fact]
    public void WaitsForADurationThenContinuesWhenItsTimerFires()
    {
        var journey = Journey($$"""{ "id": "a", "type": "wait", "duration": "PT30S", "next": "send" }, {{SendThenExit}}""");
        var started = Run(journey, null, Start(journey), Monday);
        Assert.Equal(InstanceStatus.Waiting, started.State.Status);
        Assert.Equal(Monday.AddSeconds(30), Timer(started).DueAt);
        Assert.Empty(started.Commands.OfType<SendMessage>());

        var fired = Run(journey, started.State, new TimerFired(Timer(started).Token), Monday.AddSeconds(30));
        Assert.Equal(InstanceStatus.Completed, fired.State.Status);
        Assert.Equal("ok", fired.State.Outcome);
        Assert.Single(fired.Commands.OfType<SendMessage>());
    }

    [Fact]
    public void IgnoresAStaleTimer()
    {
        var journey = Journey($$"""{ "id": "a", "type": "wait", "duration": "PT30S", "next": "send" }, {{SendThenExit}}""");
        var started = Run(journey, null, Start(journey), Monday);
        var stale = Run(journey, started.State, new TimerFired(Timer(started).Token + 7), Monday.AddMinutes(1));
        Assert.False(stale.Changed);
        Assert.Equal("stale timer", stale.IgnoredReason);
    }

    [Fact]
    public void WaitsUntilTheNextMorningInTheCustomersTimeZone()
    {
        var journey = Journey($$"""{ "id": "a", "type": "wait", "until": { "time": "10:00", "daysLater": 1 }, "next": "send" }, {{SendThenExit}}""");
        var sydney = Run(journey, null, Start(journey, Customer(timeZone: "Australia/Sydney")), Monday);
        // Monday 01:00 UTC is 12:00 in Sydney (UTC+11): the next day at 10:00 is Tuesday 23:00 UTC on Monday.
        Assert.Equal(new DateTimeOffset(2026, 3, 2, 23, 0, 0, TimeSpan.Zero), Timer(sydney).DueAt);
        var noZone = Customer();
        noZone.Remove("timeZone");
        var fallback = Run(journey, null, Start(journey, noZone), Monday);
        Assert.Equal(new DateTimeOffset(2026, 3, 3, 2, 0, 0, TimeSpan.Zero), Timer(fallback).DueAt); // Shanghai default
    }

    [Fact]
    public void KeepsTheLocalTimeOfADailyWaitAcrossDst()
    {
        var journey = Journey($$"""{ "id": "a", "type": "wait", "until": { "time": "10:00", "daysLater": 1 }, "next": "send" }, {{SendThenExit}}""");
        var saturday = new DateTimeOffset(2026, 3, 7, 17, 0, 0, TimeSpan.Zero); // 12:00 in New York, the day before DST starts
        var started = Run(journey, null, Start(journey, Customer(timeZone: "America/New_York")), saturday);
        Assert.Equal(new DateTimeOffset(2026, 3, 8, 14, 0, 0, TimeSpan.Zero), Timer(started).DueAt); // 10:00 EDT
    }

    [Fact]
    public void WaitsUntilTheBirthdayAndHandles29February()
    {
        var journey = Journey($$"""{ "id": "a", "type": "wait", "untilDate": { "path": "customer.birthday", "yearly": true, "time": "09:00" }, "next": "send" }, {{SendThenExit}}""");
        var started = Run(journey, null, Start(journey, Customer(birthday: "1992-02-29")), new DateTimeOffset(2026, 1, 5, 0, 0, 0, TimeSpan.Zero));
        Assert.Equal(new DateTimeOffset(2026, 2, 28, 1, 0, 0, TimeSpan.Zero), Timer(started).DueAt);
        var noBirthday = Run(journey, null, Start(journey, Customer()), Monday);
        Assert.Equal(InstanceStatus.Exited, noBirthday.State.Status);
    }

    [Fact]
    public void SendsWithADeterministicKeyAndRepeatabilityId()
    {
        var journey = Journey(SendThenExit, start: "send");
        var start = Start(journey);
        var first = Run(journey, null, start, Monday);
        var again = Run(journey, null, start, Monday);
        var send = Assert.Single(first.Commands.OfType<SendMessage>());
        Assert.Equal($"{first.State.InstanceId}/send/1", send.SendKey);
        Assert.Equal(send.RepeatabilityId, Assert.Single(again.Commands.OfType<SendMessage>()).RepeatabilityId);
        Assert.Equal("Ann", send.Variables["customer"]!["name"]!.GetValue<string>());
        Assert.Equal(MessageCategory.Service, send.Category);
    }

    private static JourneyDefinition ComplaintJourney() => Journey("""
        { "id": "a", "type": "waitForEvent", "event": "complaint.responded", "match": { "complaintId": "trigger.data.complaintId" },
          "timeout": "PT4H", "capture": { "by": "event.data.responder" }, "onEvent": "answered", "onTimeout": "late" },
        { "id": "answered", "type": "exit", "outcome": "answered" },
        { "id": "late", "type": "task", "kind": "escalation", "title": "Complaint not answered", "assignee": { "role": "supervisor" }, "due": "PT1H", "next": "gone" },
        { "id": "gone", "type": "exit", "outcome": "escalated" }
        """);

    private static StartInstance ComplaintStart(JourneyDefinition journey, IReadOnlyList<CustomerEvent>? recent = null) =>
        Start(journey, trigger: Event("complaint.opened", new JsonObject { ["customerId"] = "C1", ["complaintId"] = "K1" }), recent: recent);

    [Fact]
    public void AnEventThatWinsTheRaceCancelsTheTimeout()
    {
        var journey = ComplaintJourney();
        var started = Run(journey, null, ComplaintStart(journey), Monday);
        var timer = Timer(started);
        var other = Run(journey, started.State, new EventReceived(Event("complaint.responded", new JsonObject { ["complaintId"] = "K2" })), Monday.AddHours(1));
        Assert.Equal(InstanceStatus.Waiting, other.State.Status); // another complaint's response does not match
        var answered = Run(journey, other.State, new EventReceived(Event("complaint.responded", new JsonObject { ["complaintId"] = "K1", ["responder"] = "am-1" })), Monday.AddHours(2));
        Assert.Equal("answered", answered.State.Outcome);
        Assert.Equal("am-1", answered.State.Context["by"]!.GetValue<string>());
        Assert.False(Run(journey, answered.State, new TimerFired(timer.Token), Monday.AddHours(4)).Changed);
    }

    [Fact]
    public void ATimeoutThatWinsTheRaceTakesTheTimeoutPath()
    {
        var journey = ComplaintJourney();
        var started = Run(journey, null, ComplaintStart(journey), Monday);
        var late = Run(journey, started.State, new TimerFired(Timer(started).Token), Monday.AddHours(4));
        Assert.Equal("escalated", late.State.Outcome);
        var task = Assert.Single(late.Commands.OfType<CreateTask>());
        Assert.Equal(("supervisor", Monday.AddHours(5)), (task.Role, task.DueAt));
        Assert.False(Run(journey, late.State, new EventReceived(Event("complaint.responded", new JsonObject { ["complaintId"] = "K1" })), Monday.AddHours(5)).Changed);
    }

    [Fact]
    public void BuffersAnEarlyEventAndDeliversItWhenTheWaitStarts()
    {
        var journey = Journey("""
            { "id": "a", "type": "wait", "duration": "PT1H", "next": "b" },
            { "id": "b", "type": "waitForEvent", "event": "survey.answered", "timeout": "P1D", "onEvent": "yes", "onTimeout": "no" },
            { "id": "yes", "type": "exit", "outcome": "answered" }, { "id": "no", "type": "exit", "outcome": "silent" }
            """);
        var started = Run(journey, null, Start(journey), Monday);
        var buffered = Run(journey, started.State, new EventReceived(Event("survey.answered")), Monday.AddMinutes(10));
        Assert.Single(buffered.State.Buffered);
        var fired = Run(journey, buffered.State, new TimerFired(Timer(started).Token), Monday.AddHours(1));
        Assert.Equal("answered", fired.State.Outcome);
    }

    [Fact]
    public void DropsAnEarlyEventOnceItsWindowHasPassed()
    {
        var journey = Journey("""
            { "id": "a", "type": "wait", "duration": "PT12H", "next": "b" },
            { "id": "b", "type": "waitForEvent", "event": "survey.answered", "timeout": "P1D", "onEvent": "yes", "onTimeout": "no" },
            { "id": "yes", "type": "exit", "outcome": "answered" }, { "id": "no", "type": "exit", "outcome": "silent" }
            """);
        var started = Run(journey, null, Start(journey), Monday);
        var buffered = Run(journey, started.State, new EventReceived(Event("survey.answered")), Monday.AddMinutes(10));
        var fired = Run(journey, buffered.State, new TimerFired(Timer(started).Token), Monday.AddHours(12)); // window is 6 hours
        Assert.Equal(InstanceStatus.Waiting, fired.State.Status);
        Assert.Empty(fired.State.Buffered);
    }

    [Fact]
    public void DeliversAnEventThatArrivedBeforeTheInstanceExisted()
    {
        var journey = ComplaintJourney();
        var early = Event("complaint.responded", new JsonObject { ["complaintId"] = "K1" }, at: Monday.AddMinutes(-1));
        var started = Run(journey, null, ComplaintStart(journey, [early]), Monday);
        Assert.Equal("answered", started.State.Outcome);
    }

    [Fact]
    public void MeasuresAnEarlyEventsBufferFromItsReceiptNotFromItsOwnTime()
    {
        var journey = Journey("""
            { "id": "a", "type": "wait", "duration": "PT4H", "next": "b" },
            { "id": "b", "type": "waitForEvent", "event": "survey.answered", "timeout": "P1D", "onEvent": "yes", "onTimeout": "no" },
            { "id": "yes", "type": "exit", "outcome": "answered" }, { "id": "no", "type": "exit", "outcome": "silent" }
            """);
        // Received 3 hours before the start, dated a year ahead by the producer's clock: kept 6 hours from its receipt only.
        var futureDated = Event("survey.answered", at: Monday.AddYears(1)) with { ReceivedAt = Monday.AddHours(-3) };
        var started = Run(journey, null, Start(journey, recent: [futureDated]), Monday);
        Assert.Equal(Monday.AddHours(-3), Assert.Single(started.State.Buffered).BufferedAt);
        var fired = Run(journey, started.State, new TimerFired(Timer(started).Token), Monday.AddHours(4)); // 7 h after receipt: gone
        Assert.Equal(InstanceStatus.Waiting, fired.State.Status);

        // Received 1 hour before the start, dated 2 days back: still inside the window measured from its receipt.
        var lateDated = Event("survey.answered", at: Monday.AddDays(-2)) with { ReceivedAt = Monday.AddHours(-1) };
        var lateStarted = Run(journey, null, Start(journey, recent: [lateDated]), Monday);
        Assert.Equal("answered", Run(journey, lateStarted.State, new TimerFired(Timer(lateStarted).Token), Monday.AddHours(4)).State.Outcome);
    }

    [Fact]
    public void BranchesOnTheCustomersTier()
    {
        var journey = Journey("""
            { "id": "a", "type": "branch", "cases": [ { "when": { "path": "customer.tier", "op": "in", "value": ["top", "high"] }, "next": "vip" } ], "otherwise": "base" },
            { "id": "vip", "type": "exit", "outcome": "vip" }, { "id": "base", "type": "exit", "outcome": "base" }
            """);
        Assert.Equal("vip", Run(journey, null, Start(journey, Customer(tier: "high")), Monday).State.Outcome);
        Assert.Equal("base", Run(journey, null, Start(journey, Customer(tier: "medium")), Monday).State.Outcome);
        Assert.Equal("base", Run(journey, null, Start(journey, Customer()), Monday).State.Outcome);
    }

    [Fact]
    public void SplitsStablyAndInProportion()
    {
        var journey = Journey("""
            { "id": "a", "type": "split", "paths": [ { "percent": 30, "next": "x" }, { "percent": 70, "next": "y" } ] },
            { "id": "x", "type": "exit", "outcome": "x" }, { "id": "y", "type": "exit", "outcome": "y" }
            """);
        string Path(int i) => Run(journey, null, Start(journey, Customer($"C{i}"), Event("sale.completed", new JsonObject { ["saleId"] = "S" }, customerId: $"C{i}")), Monday).State.Outcome!;
        var outcomes = Enumerable.Range(0, 2000).Select(Path).ToList();
        Assert.Equal(outcomes, Enumerable.Range(0, 2000).Select(Path).ToList());
        Assert.InRange(outcomes.Count(o => o == "x"), 520, 680);
    }

    [Fact]
    public void KeepsAStableHoldoutThatRunsNoStepsButWatchesTheGoal()
    {
        var journey = Journey(SendThenExit, start: "send", extra: """ "holdoutPercent": 10, "goal": { "event": "transaction.posted", "within": "P30D" } """);
        var results = Enumerable.Range(0, 1000).Select(i => Run(journey, null,
            Start(journey, Customer($"C{i}"), Event("sale.completed", new JsonObject { ["saleId"] = "S" }, customerId: $"C{i}")), Monday)).ToList();
        var holdout = results.Where(r => r.State.Holdout).ToList();
        Assert.InRange(holdout.Count, 70, 130);
        Assert.All(holdout, r => Assert.Empty(r.Commands.OfType<SendMessage>()));
        Assert.All(results.Where(r => !r.State.Holdout), r => Assert.Single(r.Commands.OfType<SendMessage>()));
        var converted = Run(journey, holdout[0].State, new EventReceived(Event("transaction.posted", customerId: holdout[0].State.CustomerId, at: Monday.AddDays(3))), Monday.AddDays(3));
        Assert.Equal("holdout-converted", converted.State.Outcome);
        Assert.Equal(results.Select(r => r.State.Holdout), Enumerable.Range(0, 1000).Select(i => Run(journey, null,
            Start(journey, Customer($"C{i}"), Event("sale.completed", new JsonObject { ["saleId"] = "S" }, customerId: $"C{i}")), Monday).State.Holdout));
    }

    [Fact]
    public void ExitsOnAMatchingExitEventOnly()
    {
        var journey = Journey($$"""{ "id": "a", "type": "wait", "duration": "P7D", "next": "send" }, {{SendThenExit}}""",
            extra: """ "exitOn": [ { "event": "sale.refunded", "match": { "saleId": "trigger.data.saleId" } } ] """);
        var started = Run(journey, null, Start(journey), Monday);
        var otherSale = Run(journey, started.State, new EventReceived(Event("sale.refunded", new JsonObject { ["saleId"] = "S9" })), Monday.AddDays(1));
        Assert.NotEqual(InstanceStatus.Exited, otherSale.State.Status);
        var refunded = Run(journey, started.State, new EventReceived(Event("sale.refunded", new JsonObject { ["saleId"] = "S1" })), Monday.AddDays(1));
        Assert.Equal((InstanceStatus.Exited, "exit-on:sale.refunded"), (refunded.State.Status, refunded.State.Outcome));
        Assert.False(Run(journey, refunded.State, new TimerFired(Timer(started).Token), Monday.AddDays(7)).Changed);
    }

    [Fact]
    public void ConvertsAndExitsOnTheGoalWithinItsWindow()
    {
        var journey = Journey($$"""{ "id": "a", "type": "wait", "duration": "P60D", "next": "send" }, {{SendThenExit}}""",
            extra: """ "goal": { "event": "transaction.posted", "within": "P30D" } """);
        var started = Run(journey, null, Start(journey), Monday);
        var tooLate = Run(journey, started.State, new EventReceived(Event("transaction.posted", at: Monday.AddDays(31))), Monday.AddDays(31));
        Assert.False(tooLate.State.Converted);
        var converted = Run(journey, started.State, new EventReceived(Event("transaction.posted", at: Monday.AddDays(29))), Monday.AddDays(29));
        Assert.Equal((InstanceStatus.Exited, "converted", true), (converted.State.Status, converted.State.Outcome, converted.State.Converted));
    }

    [Fact]
    public void CreatesTasksForTheOwnerAndUpdatesTheCustomer()
    {
        var journey = Journey("""
            { "id": "a", "type": "task", "kind": "call", "title": "Call the customer", "assignee": { "owner": true }, "due": "P2D", "next": "b" },
            { "id": "b", "type": "update", "set": { "reactivation": "called", "score": { "path": "trigger.data.saleId" } }, "addTags": ["called"] }
            """);
        var result = Run(journey, null, Start(journey), Monday);
        var task = Assert.Single(result.Commands.OfType<CreateTask>());
        Assert.Equal(("am-1", (string?)null, Monday.AddDays(2)), (task.AssigneeId, task.Role, task.DueAt));
        var update = Assert.Single(result.Commands.OfType<UpdateCustomer>());
        Assert.Equal("called", update.SetAttributes["reactivation"]!.GetValue<string>());
        Assert.Equal("S1", update.SetAttributes["score"]!.GetValue<string>());
        Assert.Equal("called", result.State.Customer["tags"]![0]!.GetValue<string>());
    }

    [Fact]
    public void HoldsATimerThatFiresWhileSuspendedUntilResumed()
    {
        var journey = Journey($$"""{ "id": "a", "type": "wait", "duration": "PT1H", "next": "send" }, {{SendThenExit}}""");
        var started = Run(journey, null, Start(journey), Monday);
        var suspended = Run(journey, started.State, new SuspendInstance("test"), Monday.AddMinutes(5));
        var held = Run(journey, suspended.State, new TimerFired(Timer(started).Token), Monday.AddHours(1));
        Assert.Equal(InstanceStatus.Suspended, held.State.Status);
        Assert.Empty(held.Commands);
        var resumed = Run(journey, held.State, new ResumeInstance("test"), Monday.AddHours(2));
        Assert.Equal(InstanceStatus.Completed, resumed.State.Status);
        Assert.Single(resumed.Commands.OfType<SendMessage>());
    }

    [Fact]
    public void TerminatesAndThenIgnoresEverything()
    {
        var journey = Journey($$"""{ "id": "a", "type": "wait", "duration": "PT1H", "next": "send" }, {{SendThenExit}}""");
        var started = Run(journey, null, Start(journey), Monday);
        var terminated = Run(journey, started.State, new TerminateInstance("by test"), Monday);
        Assert.Equal(InstanceStatus.Terminated, terminated.State.Status);
        Assert.False(Run(journey, terminated.State, new TimerFired(Timer(started).Token), Monday.AddHours(1)).Changed);
    }

    [Fact]
    public void AppliesARedeliveredEventOnce()
    {
        var journey = ComplaintJourney();
        var started = Run(journey, null, ComplaintStart(journey), Monday);
        var unrelated = Event("survey.answered", id: "E1");
        var once = Run(journey, started.State, new EventReceived(Event("customer.upserted", new JsonObject { ["name"] = "Bo" }, id: "E2")), Monday);
        Assert.Equal("Bo", once.State.Customer["name"]!.GetValue<string>());
        var twice = Run(journey, once.State, new EventReceived(Event("customer.upserted", new JsonObject { ["name"] = "Bo" }, id: "E2")), Monday);
        Assert.Equal("duplicate event", twice.IgnoredReason);
        Assert.False(Run(journey, started.State, new EventReceived(unrelated), Monday).Changed);
    }

    [Fact]
    public void StopsALoopThatNeverWaits()
    {
        var journey = Journey($$"""{ "id": "a", "type": "wait", "duration": "PT1H", "next": "send" }, {{SendThenExit}}""") with
        {
            Steps = [new UpdateStep("a", new Dictionary<string, ValueSource>(), ["x"], [], "b"), new UpdateStep("b", new Dictionary<string, ValueSource>(), ["y"], [], "a")],
        };
        var result = Run(journey, null, Start(journey), Monday);
        Assert.Equal(InstanceStatus.Failed, result.State.Status);
        Assert.Contains("without a wait", result.State.Outcome, StringComparison.Ordinal);
    }

    [Fact]
    public void NeverChangesTheStateItIsGiven()
    {
        var journey = ComplaintJourney();
        var started = Run(journey, null, ComplaintStart(journey), Monday);
        var before = JsonSerializer.Serialize(started.State, CoreJsonContext.Default.JourneyInstanceState);
        Run(journey, started.State, new EventReceived(Event("complaint.responded", new JsonObject { ["complaintId"] = "K1" })), Monday.AddHours(1));
        Assert.Equal(before, JsonSerializer.Serialize(started.State, CoreJsonContext.Default.JourneyInstanceState));
    }
}

public class EntryPolicyDecide
{
    private static JourneyDefinition WithEntry(string entry) => Journey("""{ "id": "a", "type": "exit" }""", extra: $"\"entry\": {entry}");

    private static CustomerEvent Sale(string saleId, string id = "e1") => Event("sale.completed", new JsonObject { ["customerId"] = "C1", ["saleId"] = saleId }, id: id);

    [Fact]
    public void OnceEntersOnlyWithoutAnEarlierEntry()
    {
        var journey = WithEntry("""{ "policy": "once" }""");
        Assert.Equal("test-journey:C1", Assert.IsType<Enter>(EntryPolicy.Decide(journey, Sale("S1"), null, Monday)).InstanceId);
        Assert.IsType<Skip>(EntryPolicy.Decide(journey, Sale("S2"), new Enrollment(Monday.AddYears(-2), 1), Monday));
    }

    [Fact]
    public void OncePerKeyGivesOneInstanceIdPerKey()
    {
        var journey = WithEntry("""{ "policy": "oncePerKey", "key": "trigger.data.saleId" }""");
        var first = Assert.IsType<Enter>(EntryPolicy.Decide(journey, Sale("S1", "e1"), null, Monday));
        var repeat = Assert.IsType<Enter>(EntryPolicy.Decide(journey, Sale("S1", "e2"), null, Monday));
        var other = Assert.IsType<Enter>(EntryPolicy.Decide(journey, Sale("S2", "e3"), null, Monday));
        Assert.Equal(first.InstanceId, repeat.InstanceId);
        Assert.NotEqual(first.InstanceId, other.InstanceId);
        Assert.IsType<Skip>(EntryPolicy.Decide(journey, Event("sale.completed", new JsonObject()), null, Monday));
    }

    [Fact]
    public void CooldownWaitsBeforeAnotherEntry()
    {
        var journey = WithEntry("""{ "policy": "cooldown", "cooldown": "P90D" }""");
        Assert.IsType<Skip>(EntryPolicy.Decide(journey, Sale("S1"), new Enrollment(Monday.AddDays(-89), 1), Monday));
        Assert.IsType<Enter>(EntryPolicy.Decide(journey, Sale("S1"), new Enrollment(Monday.AddDays(-91), 1), Monday));
    }

    [Fact]
    public void AlwaysEntersOncePerTriggerEvent()
    {
        var journey = WithEntry("""{ "policy": "always" }""");
        var a = Assert.IsType<Enter>(EntryPolicy.Decide(journey, Sale("S1", "e1"), new Enrollment(Monday, 5), Monday));
        var duplicate = Assert.IsType<Enter>(EntryPolicy.Decide(journey, Sale("S1", "e1"), new Enrollment(Monday, 5), Monday));
        var next = Assert.IsType<Enter>(EntryPolicy.Decide(journey, Sale("S1", "e2"), new Enrollment(Monday, 5), Monday));
        Assert.Equal(a.InstanceId, duplicate.InstanceId);
        Assert.NotEqual(a.InstanceId, next.InstanceId);
    }
}

public class JourneyInterpreterStart
{
    private readonly JourneyInterpreter _interpreter = new(InterpreterSettings.Default);

    [Fact]
    public void ExitsAtOnceWhenItsExitEventOvertookTheTrigger()
    {
        var journey = Journey("""{ "id": "a", "type": "wait", "duration": "P1D" }""",
            extra: """ "exitOn": [ { "event": "sale.refunded", "match": { "saleId": "trigger.data.saleId" } } ] """);
        var refundOfAnotherSale = Event("sale.refunded", new JsonObject { ["saleId"] = "S9" }, at: Monday.AddSeconds(1));
        var refund = Event("sale.refunded", new JsonObject { ["saleId"] = "S1" }, at: Monday.AddSeconds(1));

        var unaffected = _interpreter.Interpret(journey, null, Start(journey, recent: [refundOfAnotherSale]), Monday.AddSeconds(2));
        var exited = _interpreter.Interpret(journey, null, Start(journey, recent: [refundOfAnotherSale, refund]), Monday.AddSeconds(2));

        Assert.Equal(InstanceStatus.Waiting, unaffected.State.Status);
        Assert.Equal((InstanceStatus.Exited, "exit-on:sale.refunded"), (exited.State.Status, exited.State.Outcome));
        Assert.Empty(exited.Commands);
    }
}

public class JourneyInterpreterBusinessTime
{
    private static readonly Calendars.BusinessCalendar China = Shipped.Calendar("cn-mainland");

    private static readonly Calendars.BusinessCalendar MonFri = Shipped.Calendar("mon-fri");

    private readonly JourneyInterpreter _interpreter = new(new InterpreterSettings(TimeZoneInfo.Utc, TimeSpan.FromDays(1))
    {
        Calendars = new Dictionary<string, Calendars.BusinessCalendar> { ["cn-mainland"] = China, ["mon-fri"] = MonFri },
        RegionCalendars = new Dictionary<string, string> { ["east"] = "cn-mainland" },
        DefaultCalendar = "mon-fri",
    });

    [Fact]
    public void WaitsInWorkingHoursOfTheCustomersRegionsCalendar()
    {
        var journey = Journey("""{ "id": "a", "type": "wait", "businessTime": "PT4H", "next": "b" }, { "id": "b", "type": "exit" }""");
        var friday16Cst = new DateTimeOffset(2026, 3, 6, 8, 0, 0, TimeSpan.Zero);
        var east = Customer();
        east["region"] = "east";
        var inChina = _interpreter.Interpret(journey, null, Start(journey, east), friday16Cst);
        Assert.Equal(new DateTimeOffset(2026, 3, 9, 3, 0, 0, TimeSpan.Zero), Assert.Single(inChina.Commands.OfType<ScheduleTimer>()).DueAt); // Monday 11:00 CST
        var elsewhere = _interpreter.Interpret(journey, null, Start(journey), friday16Cst);
        Assert.Equal(new DateTimeOffset(2026, 3, 6, 13, 0, 0, TimeSpan.Zero), Assert.Single(elsewhere.Commands.OfType<ScheduleTimer>()).DueAt); // mon-fri: counting starts at 09:00 UTC
    }

    [Fact]
    public void TimesOutAWaitForEventInBusinessTimeOverAHoliday()
    {
        var journey = Journey("""
            { "id": "a", "type": "waitForEvent", "event": "complaint.responded", "businessTimeout": "PT8H", "calendar": "cn-mainland", "onTimeout": "b" },
            { "id": "b", "type": "exit" }
            """);
        var beforeNationalDay = new DateTimeOffset(2026, 9, 30, 9, 0, 0, TimeSpan.Zero); // 17:00 CST, Wednesday 30 Sep
        var started = _interpreter.Interpret(journey, null, Start(journey), beforeNationalDay);
        // One hour on 30 Sep, then 1-7 Oct off, Thursday 8 Oct, and 7 hours on Thursday 8 Oct: 16:00 CST.
        Assert.Equal(new DateTimeOffset(2026, 10, 8, 8, 0, 0, TimeSpan.Zero), Assert.Single(started.Commands.OfType<ScheduleTimer>()).DueAt);
    }

    [Fact]
    public void RejectsAnUnknownCalendarAndCalendarDaysInBusinessTime()
    {
        var reader = new JourneyDefinitionReader(calendars: new HashSet<string> { "cn-mainland" });
        var errors = reader.Read("""
            { "id": "j", "trigger": { "type": "api" }, "start": "a", "steps": [
              { "id": "a", "type": "wait", "businessTime": "P2D", "calendar": "mars", "next": "b" }, { "id": "b", "type": "exit" } ] }
            """).Errors;
        Assert.Equal(["/steps/0/businessTime", "/steps/0/calendar"], errors.Select(e => e.Path).Order());
    }
}
