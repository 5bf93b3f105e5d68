using System.Text.Json.Nodes;
using Retention.Core.Calendars;
using Retention.Core.Definitions;
using Retention.Core.Runtime;

namespace Retention.Core.Tests;

/// <summary>A published definition read without validation; versions of the business calendars and the staff directory read and checked.</summary>
public class PublishedReading
{
    // The schema refuses the root's "owner" and the reader a calendar it does not know: a definition published before either rule.
    private const string Legacy = """
        { "id": "legacy", "owner": "retention-team", "trigger": { "type": "event", "event": "sale.completed" },
          "start": "w", "steps": [
            { "id": "w", "type": "wait", "businessTime": "PT4H", "calendar": "retired", "next": "end" },
            { "id": "end", "type": "exit", "outcome": "done" } ] }
        """;

    private const string Weekdays = """
        { "id": "weekdays", "timeZone": "Asia/Shanghai", "workingHours": { "monday": ["09:00-17:00"], "friday": ["09:00-17:00"] } }
        """;

    [Fact]
    public void APublishedDefinitionThatTodaysRulesRefuseStillReads()
    {
        Assert.False(new JourneyDefinitionReader(calendars: new HashSet<string> { "cn-mainland" }).Read(Legacy).IsValid);

        var definition = JourneyDefinitionReader.ReadPublished(Legacy);

        Assert.NotNull(definition);
        Assert.Equal(("legacy", "w", 2), (definition.Id, definition.Start, definition.Steps.Count));
        Assert.Equal("retired", Assert.IsType<WaitBusinessTime>(Assert.IsType<WaitStep>(definition.Steps[0]).Until).Calendar);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("[]")]
    [InlineData("not json")]
    [InlineData("""{ "id": "x", "steps": [] }""")]
    public void WhatIsNotAJourneyDoesNotRead(string json) => Assert.Null(JourneyDefinitionReader.ReadPublished(json));

    [Fact]
    public void ACalendarsVersionReadsWithItsRegionsAndDefault()
    {
        var document = CalendarSet.Document([Weekdays], new Dictionary<string, string> { ["north"] = "weekdays" }, "weekdays");

        var (set, errors) = CalendarSet.Read(document);

        Assert.Empty(errors);
        Assert.Equal(("weekdays", "weekdays"), (set!.Regions["north"], set.Default));
        Assert.True(set.ById["weekdays"].IsWorkingDay(new DateOnly(2027, 3, 1)));
    }

    [Fact]
    public void ACalendarsVersionReportsEveryFaultAtItsField()
    {
        var document = new JsonObject
        {
            ["calendars"] = new JsonArray(JsonNode.Parse(Weekdays), JsonNode.Parse(Weekdays),
                JsonNode.Parse("""{ "id": "broken", "timeZone": "UTC", "workingHours": { "monday": ["9-5"] } }""")),
            ["regions"] = new JsonObject { ["south"] = "nowhere" },
        }.ToJsonString();

        var (set, errors) = CalendarSet.Read(document);

        Assert.Null(set);
        Assert.Equal(["/calendars/1/id", "/calendars/2/workingHours/monday/0", "/regions/south", "/default"], errors.Select(e => e.Path));
    }

    [Fact]
    public void AStaffDirectoryVersionRoundTripsAndReportsAHolderThatIsNotAnId()
    {
        var directory = new StaffDirectory(new Dictionary<string, IReadOnlyDictionary<string, string>> { ["north"] = new Dictionary<string, string> { ["supervisor"] = "s-n" } },
            new Dictionary<string, string> { ["supervisor"] = "s-1", ["manager"] = "m-1" });

        var (read, errors) = StaffDirectory.Read(directory.ToDocument());

        Assert.Empty(errors);
        Assert.Equal(("s-n", "s-1", "m-1"), (read!.Resolve("north", "supervisor"), read.Resolve("south", "supervisor"), read.Resolve("north", "manager")));
        Assert.Equal("/regions/north/supervisor", Assert.Single(StaffDirectory.Read("""{ "regions": { "north": { "supervisor": 7 } } }""").Errors).Path);
    }
}
