using Retention.Core.Definitions;

namespace Retention.Core.Tests;

public class JourneyDefinitionReaderRead
{
    private static IReadOnlyList<DefinitionError> Errors(string json) => new JourneyDefinitionReader().Read(json).Errors;

    private static string Journey(string steps, string start = "a", string extra = "") => $$"""
        { "id": "j", "trigger": { "type": "event", "event": "sale.completed" }, "start": "{{start}}", "steps": [ {{steps}} ],
          "templates": { "t": { "sms": { "en": "x" } } } {{extra}} }
        """;

    [Fact]
    public void ReadsEveryShippedJourney()
    {
        var files = Shipped.JourneyFiles;
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            var read = new JourneyDefinitionReader().Read(File.ReadAllText(file));
            Assert.True(read.IsValid, $"{file}: " + string.Join("; ", read.Errors.Select(e => $"{e.Path} {e.Message}")));
        }
    }

    [Fact]
    public void ReportsAnUnknownStepReferenceAtItsPath()
    {
        var errors = Errors(Journey("""{ "id": "a", "type": "send", "channel": "sms", "template": "t", "category": "service", "next": "nowhere" }"""));
        Assert.Contains(errors, e => e.Path == "/steps/0/next" && e.Message.Contains("unknown step 'nowhere'", StringComparison.Ordinal));
    }

    [Fact]
    public void ReportsAnUnreachableStep()
    {
        var errors = Errors(Journey("""{ "id": "a", "type": "exit" }, { "id": "b", "type": "exit" }"""));
        Assert.Contains(errors, e => e.Path == "/steps/1" && e.Message.Contains("unreachable", StringComparison.Ordinal));
    }

    [Fact]
    public void ReportsAMissingTemplateAndAMissingChannel()
    {
        var errors = Errors(Journey("""
            { "id": "a", "type": "send", "channel": "sms", "template": "nope", "category": "service", "next": "b" },
            { "id": "b", "type": "send", "channel": "email", "template": "t", "category": "service" }
            """));
        Assert.Contains(errors, e => e.Path == "/steps/0/template" && e.Message.Contains("no template named 'nope'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Path == "/steps/1/template" && e.Message.Contains("no email content", StringComparison.Ordinal));
    }

    [Fact]
    public void ReportsABadDuration()
    {
        var errors = Errors(Journey("""{ "id": "a", "type": "wait", "duration": "7 days" }"""));
        Assert.Contains(errors, e => e.Path == "/steps/0/duration" && e.Message.Contains("ISO 8601", StringComparison.Ordinal));
    }

    [Fact]
    public void ReportsALoopWithoutAWait()
    {
        var errors = Errors(Journey("""
            { "id": "a", "type": "send", "channel": "sms", "template": "t", "category": "service", "next": "b" },
            { "id": "b", "type": "update", "addTags": ["x"], "next": "a" }
            """));
        Assert.Contains(errors, e => e.Message.Contains("loop with no wait", StringComparison.Ordinal));
    }

    [Fact]
    public void AcceptsALoopThroughAWait()
    {
        var errors = Errors(Journey("""
            { "id": "a", "type": "send", "channel": "sms", "template": "t", "category": "service", "next": "b" },
            { "id": "b", "type": "wait", "duration": "P30D", "next": "a" }
            """));
        Assert.Empty(errors);
    }

    [Fact]
    public void ReportsEveryErrorAtOnce()
    {
        var errors = Errors("""
            { "id": "Bad Id", "trigger": { "type": "telepathy" }, "start": "a", "holdoutPercent": 140,
              "steps": [ { "id": "a", "type": "wait", "duration": "P0D", "colour": "red" }, { "id": "a", "type": "teleport" } ] }
            """);
        var paths = errors.Select(e => e.Path).ToHashSet();
        Assert.Superset(new HashSet<string> { "/id", "/trigger/type", "/holdoutPercent", "/steps/0/duration", "/steps/0/colour", "/steps/1/type", "/steps/1/id" }, paths);
    }

    [Fact]
    public void RequiresSplitPercentagesToAddUpTo100()
    {
        var errors = Errors(Journey("""
            { "id": "a", "type": "split", "paths": [ { "percent": 50, "next": "b" }, { "percent": 40, "next": "b" } ] },
            { "id": "b", "type": "exit" }
            """));
        Assert.Contains(errors, e => e.Path == "/steps/0/paths" && e.Message.Contains("add up to 90", StringComparison.Ordinal));
    }

    [Fact]
    public void RequiresAKeyForOncePerKey()
    {
        var errors = Errors(Journey("""{ "id": "a", "type": "exit" }""", extra: """, "entry": { "policy": "oncePerKey" }"""));
        Assert.Contains(errors, e => e.Path == "/entry/key");
    }

    [Fact]
    public void RejectsABadValuePathInACondition()
    {
        var errors = Errors(Journey("""
            { "id": "a", "type": "branch", "cases": [ { "when": { "path": "tier", "op": "eq", "value": "top" }, "next": "b" } ], "otherwise": "b" },
            { "id": "b", "type": "exit" }
            """));
        Assert.Contains(errors, e => e.Path == "/steps/0/cases/0/when/path");
    }

    [Fact]
    public void RejectsBrokenJson() =>
        Assert.Equal("/id", Assert.Single(Errors("{ \"id\": ")).Path); // where the text breaks off

    [Fact]
    public void RejectsATemplateThatDoesNotParseWhenGivenAChecker()
    {
        var reader = new JourneyDefinitionReader(new RejectingChecker());
        var errors = reader.Read(Journey("""{ "id": "a", "type": "exit" }""")).Errors;
        Assert.Contains(errors, e => e.Path == "/templates/t/sms/en" && e.Message == "bad");
    }

    private sealed class RejectingChecker : ITemplateChecker
    {
        public string? Check(string template) => "bad";
    }
}

public class JourneyDefinitionReaderHostileInput
{
    [Theory]
    [InlineData("""{ "id": "j", "version": 1e10, "trigger": { "type": "api" }, "start": "a", "steps": [ { "id": "a", "type": "wait", "until": { "time": "10:00", "daysLater": 1e12 } } ] }""")]
    [InlineData("""{ "id": "j", "trigger": { "type": "api" }, "start": "a", "steps": [ { "id": "a", "type": "wait", "duration": "PT300000000H" } ] }""")]
    public void ReportsErrorsInsteadOfThrowing(string json)
    {
        var read = new JourneyDefinitionReader().Read(json);
        Assert.False(read.IsValid);
        Assert.NotEmpty(read.Errors);
    }
}
