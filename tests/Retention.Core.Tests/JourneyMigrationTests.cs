using System.Text.Json.Nodes;
using Retention.Core.Definitions;
using Retention.Core.Events;
using Retention.Core.Runtime;

namespace Retention.Core.Tests;

/// <summary>The pure migration: (state, from, to, mapping, now) → (state', commands).</summary>
public sealed class JourneyMigrationTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 0, 0, 0, TimeSpan.Zero);
    private static readonly JourneyInterpreter Interpreter = new(InterpreterSettings.Default);

    private static JourneyDefinition Read(string firstStep, int version) => new JourneyDefinitionReader().Read($$"""
        { "id": "m", "trigger": { "type": "api" }, "start": "{{(version == 1 ? "a" : "b")}}", "steps": [ {{firstStep}},
          { "id": "done", "type": "exit", "outcome": "done" } ] }
        """).Definition! with { Version = version };

    private static readonly JourneyDefinition V1 = Read("""{ "id": "a", "type": "wait", "duration": "PT1H", "next": "done" }""", 1);

    private static JourneyInstanceState Waiting() =>
        Interpreter.Interpret(V1, null, new StartInstance("m:c", null, new CustomerEvent("t", "api", "journey.started", T0, "c", new JsonObject()), [], []), T0).State;

    [Fact]
    public void TheSameKindOfWaitKeepsTheDeadlineAndTheToken()
    {
        var v2 = Read("""{ "id": "b", "type": "wait", "duration": "P3D", "next": "done" }""", 2);
        var before = Waiting();
        var result = Interpreter.Interpret(V1, before, new MigrateInstance(v2, new Dictionary<string, string> { ["a"] = "b" }), T0.AddMinutes(10));
        Assert.Equal((2, "b", before.Timer!.Token, before.Timer.DueAt), (result.State.Version, result.State.CurrentStepId, result.State.Timer!.Token, result.State.Timer.DueAt));
        Assert.Empty(result.Commands); // the queued timer message still fires it

        var fired = Interpreter.Interpret(v2, result.State, new TimerFired(before.Timer.Token), before.Timer.DueAt);
        Assert.Equal((InstanceStatus.Completed, "done"), (fired.State.Status, fired.State.Outcome));
    }

    [Fact]
    public void AnotherKindReentersWithANewTokenSoTheOldFiringIsStale()
    {
        var v2 = Read("""{ "id": "b", "type": "waitForEvent", "event": "x.y", "timeout": "P1D", "onEvent": "done", "onTimeout": "done" }""", 2);
        var before = Waiting();
        var result = Interpreter.Interpret(V1, before, new MigrateInstance(v2, new Dictionary<string, string> { ["a"] = "b" }), T0.AddMinutes(10));
        var timer = Assert.IsType<ScheduleTimer>(Assert.Single(result.Commands));
        Assert.NotEqual(before.Timer!.Token, timer.Token);
        Assert.False(Interpreter.Interpret(v2, result.State, new TimerFired(before.Timer.Token), before.Timer.DueAt).Changed);
    }

    [Fact]
    public void UnmappedStepsAndMissingTargetsAreReportedAtTheirMappingPath()
    {
        var v2 = Read("""{ "id": "b", "type": "wait", "duration": "P3D", "next": "done" }""", 2);
        var errors = JourneyMigration.Check(["a", "c", "a"], v2, new Dictionary<string, string> { ["c"] = "nowhere" });
        Assert.Equal(["/mapping/a", "/mapping/c"], errors.Select(e => e.Path));
        Assert.False(Interpreter.Interpret(V1, Waiting(), new MigrateInstance(v2, new Dictionary<string, string>()), T0).Changed);
    }
}
