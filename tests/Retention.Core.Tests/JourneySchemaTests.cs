using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Json.Schema;
using Retention.Core.Definitions;

namespace Retention.Core.Tests;

/// <summary>
/// The schema file and the reader agree: what ships and what tests use passes both, and what the schema rejects the
/// reader rejects at the same JSON Pointer. The schema here is evaluated as any editor or client would, straight from
/// <c>schemas/journey.schema.json</c>, not through the reader's wording of its failures.
/// </summary>
public partial class JourneySchemaAgreement
{
    private static readonly string SchemaFile = File.ReadAllText(Path.Combine(Shipped.Root, "schemas", "journey.schema.json"));
    private static readonly JsonSchema Schema = JsonSchema.FromText(SchemaFile, new BuildOptions { SchemaRegistry = new SchemaRegistry() });

    private static EvaluationResults Evaluate(string json)
    {
        using var document = JsonDocument.Parse(json);
        return Schema.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
    }

    private static string Journey(string steps, string extra = "") => $$"""
        { "id": "j", "trigger": { "type": "event", "event": "sale.completed" }, "start": "a", "steps": [ {{steps}} ],
          "templates": { "t": { "sms": { "en": "x" } } } {{extra}} }
        """;

    [Fact]
    public void TheReaderChecksTheSchemaFileAsShipped() => Assert.Equal(SchemaFile, JourneySchema.Text);

    [Fact]
    public void EveryShippedJourneyMatchesTheSchema()
    {
        var files = Shipped.JourneyFiles;
        Assert.NotEmpty(files);
        Assert.All(files, file => Assert.True(Evaluate(File.ReadAllText(file)).IsValid, file));
    }

    /// <summary>
    /// Every complete definition written out in a test, valid or deliberately broken, gets the same verdict from the
    /// schema and from the reader. (Definitions that tests assemble from parts all pass through the reader, which
    /// refuses whatever the schema refuses.)
    /// </summary>
    [Fact]
    public void EveryJourneyWrittenInATestGetsTheSameVerdictFromTheSchemaAndTheReader()
    {
        var journeys = Directory.GetFiles(Path.Combine(Shipped.Root, "tests"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(f => RawLiteral().Matches(File.ReadAllText(f)).Select(m => (File: Path.GetFileName(f), Json: m.Groups["json"].Value)))
            .Where(j => j.Json.Contains("\"trigger\"", StringComparison.Ordinal) && j.Json.Contains("\"steps\"", StringComparison.Ordinal))
            .ToList();
        Assert.True(journeys.Count >= 20, $"found only {journeys.Count} journeys in the tests");
        foreach (var (file, json) in journeys)
        {
            var read = new JourneyDefinitionReader().Read(json);
            if (StrictJson.Check(System.Text.Encoding.UTF8.GetBytes(json)) is null && !Evaluate(json).IsValid)
            {
                Assert.False(read.IsValid, $"{file}: the reader accepts a definition the schema rejects:\n{json}");
            }
            if (read.IsValid)
            {
                Assert.True(Evaluate(json).IsValid, $"{file}: the schema rejects a definition the reader accepts:\n{json}");
            }
        }
    }

    [Fact]
    public void TheStepTypesAreTheSchemas() => Assert.Equal(StepTypes.All, JourneySchema.StepTypes);

    [Fact]
    public void EveryStepTypeHasAnExampleThatMatchesTheSchema()
    {
        var defs = JsonNode.Parse(SchemaFile)!["$defs"]!;
        Assert.All(StepTypes.All, type =>
        {
            var example = defs[$"{type}Step"]?["examples"]?[0];
            Assert.NotNull(example);
            Assert.Equal(type, example["type"]!.GetValue<string>());
            Assert.True(Evaluate(Journey(example.ToJsonString())).IsValid, $"{type}: {example.ToJsonString()}");
        });
    }

    /// <summary>Definitions with one fault of shape, and where that fault is.</summary>
    public static TheoryData<string, string> Faults => new()
    {
        { Journey("""{ "id": "a", "type": "wait", "duration": "soon" }"""), "/steps/0/duration" },
        { Journey("""{ "id": "a", "type": "wait", "duration": "P0D" }"""), "/steps/0/duration" },
        { Journey("""{ "id": "a", "type": "wait", "duration": "P1D", "colour": "red" }"""), "/steps/0/colour" },
        { Journey("""{ "id": "a", "type": "wait" }"""), "/steps/0" },
        { Journey("""{ "id": "a", "type": "wait", "duration": "P1D", "until": { "time": "10:00" } }"""), "/steps/0" },
        { Journey("""{ "id": "a", "type": "wait", "until": { "time": "25:00" } }"""), "/steps/0/until/time" },
        { Journey("""{ "id": "a", "type": "wait", "until": { "time": "10:00", "daysLater": 1.5 } }"""), "/steps/0/until/daysLater" },
        { Journey("""{ "id": "a", "type": "wait", "duration": "P1D", "calendar": "cn" }"""), "/steps/0/calendar" },
        { Journey("""{ "id": "a", "type": "wait", "businessTime": "P2D" }"""), "/steps/0/businessTime" },
        { Journey("""{ "id": "a", "type": "wait", "businessTime": "PT0H" }"""), "/steps/0/businessTime" },
        { Journey("""{ "id": "a", "type": "teleport" }"""), "/steps/0/type" },
        { Journey("""{ "id": "A", "type": "exit" }"""), "/steps/0/id" },
        { Journey("""{ "type": "exit" }"""), "/steps/0/id" },
        { Journey("""{ "id": "a", "type": "send", "channel": "fax", "template": "t", "category": "service" }"""), "/steps/0/channel" },
        { Journey("""{ "id": "a", "type": "send", "channel": "sms", "template": "t" }"""), "/steps/0/category" },
        { Journey("""{ "id": "a", "type": "send", "channel": "sms", "fallback": "sms", "template": "t", "category": "service" }"""), "/steps/0/fallback" },
        { Journey("""{ "id": "a", "type": "waitForEvent", "event": "x.y", "timeout": "P1D", "deadline": { "clock": "c" }, "onTimeout": "a" }"""), "/steps/0" },
        { Journey("""{ "id": "a", "type": "waitForEvent", "event": "x.y", "deadline": { "clock": "c" } }"""), "/steps/0/onTimeout" },
        { Journey("""{ "id": "a", "type": "waitForEvent", "event": "x.y", "businessTimeout": "P1D" }"""), "/steps/0/businessTimeout" },
        { Journey("""{ "id": "a", "type": "waitForEvent", "event": "x.y", "match": { "saleId": "sale" } }"""), "/steps/0/match/saleId" },
        { Journey("""{ "id": "a", "type": "branch", "cases": [] }"""), "/steps/0/cases" },
        { Journey("""{ "id": "a", "type": "branch", "cases": [ { "when": { "path": "tier", "op": "eq", "value": 1 }, "next": "a" } ] }"""), "/steps/0/cases/0/when/path" },
        { Journey("""{ "id": "a", "type": "branch", "cases": [ { "when": { "path": "customer.tier", "op": "like", "value": 1 }, "next": "a" } ] }"""), "/steps/0/cases/0/when/op" },
        { Journey("""{ "id": "a", "type": "branch", "cases": [ { "when": { "path": "customer.tier", "op": "in", "value": 1 }, "next": "a" } ] }"""), "/steps/0/cases/0/when/value" },
        { Journey("""{ "id": "a", "type": "branch", "cases": [ { "when": { "path": "customer.tier", "op": "eq" }, "next": "a" } ] }"""), "/steps/0/cases/0/when" },
        { Journey("""{ "id": "a", "type": "branch", "cases": [ { "when": { "path": "customer.a", "op": "eq", "value": 1, "valuePath": "customer.b" }, "next": "a" } ] }"""), "/steps/0/cases/0/when" },
        { Journey("""{ "id": "a", "type": "branch", "cases": [ { "when": { "all": [] }, "next": "a" } ] }"""), "/steps/0/cases/0/when/all" },
        { Journey("""{ "id": "a", "type": "split", "paths": [ { "percent": 0, "next": "a" } ] }"""), "/steps/0/paths/0/percent" },
        { Journey("""{ "id": "a", "type": "task", "kind": "k", "title": "t", "assignee": { "owner": false }, "due": "P1D" }"""), "/steps/0/assignee" },
        { Journey("""{ "id": "a", "type": "task", "kind": "k", "title": "t", "assignee": { "owner": true } }"""), "/steps/0" },
        { Journey("""{ "id": "a", "type": "task", "kind": "k", "title": "t", "assignee": { "owner": true }, "dueBusinessDays": 61 }"""), "/steps/0/dueBusinessDays" },
        { Journey("""{ "id": "a", "type": "update", "set": {} }"""), "/steps/0" },
        { Journey("""{ "id": "a", "type": "update", "add": { "balance": "ten" } }"""), "/steps/0/add/balance" },
        { Journey("""{ "id": "a", "type": "update", "addTags": [ "" ] }"""), "/steps/0/addTags/0" },
        { Journey("""{ "id": "a", "type": "clock", "clock": "c", "action": "pause" }"""), "/steps/0/action" },
        { Journey("""{ "id": "a", "type": "emit", "event": "referral.paid" }"""), "/steps/0/customer" },
        { Journey("""{ "id": "a", "type": "exit", "outcome": "" }"""), "/steps/0/outcome" },
        { Journey("""{ "id": "a", "type": "exit" }""", """, "entry": { "policy": "oncePerKey" }"""), "/entry/key" },
        { Journey("""{ "id": "a", "type": "exit" }""", """, "entry": { "policy": "oncePerKey", "key": "customer.id" }"""), "/entry/key" },
        { Journey("""{ "id": "a", "type": "exit" }""", """, "entry": { "policy": "cooldown" }"""), "/entry/cooldown" },
        { Journey("""{ "id": "a", "type": "exit" }""", """, "holdoutPercent": 140"""), "/holdoutPercent" },
        { Journey("""{ "id": "a", "type": "exit" }""", """, "goal": { "event": "transaction.posted" }"""), "/goal/within" },
        { Journey("""{ "id": "a", "type": "exit" }""", """, "clocks": { "Bad": { "target": "PT8H" } }"""), "/clocks/Bad" },
        { Journey("""{ "id": "a", "type": "exit" }""", """, "clocks": { "c": { "target": "P1D" } }"""), "/clocks/c/target" },
        { Journey("""{ "id": "a", "type": "exit" }""", """, "clocks": { "c": { "target": { "path": "trigger.data.severity", "cases": { "high": "P1D" } } } }"""), "/clocks/c/target/cases/high" },
        { """{ "id": "j", "trigger": { "type": "api" }, "start": "a", "steps": [ { "id": "a", "type": "exit" } ], "templates": { "t": { "email": { "en": { "subject": "s" } } } } }""", "/templates/t/email/en/text" },
        { """{ "id": "j", "trigger": { "type": "telepathy" }, "start": "a", "steps": [ { "id": "a", "type": "exit" } ] }""", "/trigger/type" },
        { """{ "id": "j", "trigger": { "type": "schedule" }, "start": "a", "steps": [ { "id": "a", "type": "exit" } ] }""", "/trigger/cron" },
        { """{ "id": "j", "trigger": { "type": "api" }, "start": "a", "steps": [] }""", "/steps" },
        { """{ "id": "j", "trigger": { "type": "api" }, "steps": [ { "id": "a", "type": "exit" } ] }""", "/start" },
        { """[]""", "" },
    };

    [Theory]
    [MemberData(nameof(Faults))]
    public void TheSchemaAndTheReaderRejectAFaultAtTheSamePath(string json, string path)
    {
        var schema = Evaluate(json);
        Assert.False(schema.IsValid, "the schema accepts it");
        var located = (schema.Details ?? []).Where(d => !d.IsValid && d.Errors is { Count: > 0 }).Select(d => d.InstanceLocation.ToString()).ToHashSet();
        Assert.True(located.Contains(path) || located.Contains(path[..Math.Max(0, path.LastIndexOf('/'))]), $"the schema's errors are at {string.Join(", ", located)}");
        var reader = new JourneyDefinitionReader().Read(json);
        Assert.False(reader.IsValid, "the reader accepts it");
        Assert.Contains(path, reader.Errors.Select(e => e.Path));
    }

    [Theory]
    [InlineData("""{ "id": "a", "type": "wait", "duration": "soon" }""", "/steps/0/duration", "'soon' is not an ISO 8601 duration of at most 10 years, such as PT30S, PT4H, P7D or P1Y")]
    [InlineData("""{ "id": "a", "type": "wait", "duration": "P0D" }""", "/steps/0/duration", "must be longer than zero")]
    [InlineData("""{ "id": "a", "type": "wait", "duration": "P11Y" }""", "/steps/0/duration", "'P11Y' is longer than 10 years (a year counts as 366 days, a month as 31)")]
    [InlineData("""{ "id": "a", "type": "wait", "duration": "P1D", "colour": "red" }""", "/steps/0/colour", "unknown property; expected one of id, type, duration, until, untilDate, next, businessTime, calendar")]
    [InlineData("""{ "id": "a", "type": "wait" }""", "/steps/0", "needs exactly one of 'duration', 'until', 'untilDate' or 'businessTime'")]
    [InlineData("""{ "id": "a", "type": "teleport" }""", "/steps/0/type", "'teleport' is not one of wait, send, waitForEvent, clock, branch, split, task, update, emit or exit")]
    [InlineData("""{ "id": "a", "type": "send", "channel": "sms", "fallback": "sms", "template": "t", "category": "service" }""", "/steps/0/fallback", "must be the other channel")]
    [InlineData("""{ "id": "a", "type": "split", "paths": [ { "percent": 0, "next": "a" } ] }""", "/steps/0/paths/0/percent", "must be more than 0 and at most 100")]
    [InlineData("""{ "id": "a", "type": "branch", "cases": [ { "when": { "path": "tier", "op": "eq", "value": 1 }, "next": "a" } ] }""", "/steps/0/cases/0/when/path", "'tier' is not a value path; it must start with customer., trigger., event., context. or journey.")]
    [InlineData("""{ "id": "a", "type": "branch", "cases": [ { "when": { "path": "customer.tier", "op": "in", "value": 1 }, "next": "a" } ] }""", "/steps/0/cases/0/when/value", "must be an array when op is in or notIn")]
    [InlineData("""{ "id": "a", "type": "update", "set": {} }""", "/steps/0", "an update step must set or add to an attribute, or change a tag")]
    [InlineData("""{ "id": "a", "type": "waitForEvent", "event": "x.y", "deadline": { "clock": "c" } }""", "/steps/0/onTimeout", "is required with a deadline: the step the clock threshold leads to")]
    public void TheReaderWordsAStepFaultPrecisely(string step, string path, string message) =>
        Assert.Contains(new DefinitionError(path, message), new JourneyDefinitionReader().Read(Journey(step)).Errors);

    [Fact]
    public void TheReaderNamesTheConditionUnderWhichAFieldIsRequired() =>
        Assert.Contains(new DefinitionError("/entry/key", "is required when policy is oncePerKey"),
            new JourneyDefinitionReader().Read(Journey("""{ "id": "a", "type": "exit" }""", """, "entry": { "policy": "oncePerKey" }""")).Errors);

    [GeneratedRegex("(?<![$\"])\"\"\"(?<json>[^\"].*?)\"\"\"", RegexOptions.Singleline)]
    private static partial Regex RawLiteral();
}
