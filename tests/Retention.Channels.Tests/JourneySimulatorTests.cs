using System.Text.Json;
using System.Text.Json.Nodes;
using Retention.Application.Simulation;
using Retention.Channels.Templates;
using Retention.Core.Contact;
using Retention.Core.Definitions;
using Retention.Core.Runtime;
using Retention.Testing;

namespace Retention.Channels.Tests;

/// <summary>The simulator with the production interpreter, contact policy and renderer; no storage, no providers.</summary>
public sealed class JourneySimulatorTests
{
    private static readonly TimeZoneInfo Shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");
    private static readonly MessageRenderer Renderer = new();
    private static readonly JourneyDefinitionReader Reader = new(Renderer);
    private static readonly JourneySimulator Simulator = new(
        new JourneyInterpreter(new InterpreterSettings(Shanghai, TimeSpan.FromDays(1))), new ContactPolicy(new ContactPolicyOptions(), Shanghai), Renderer);

    private static readonly DateTimeOffset Start = new(2026, 3, 2, 15, 0, 0, TimeSpan.FromHours(8));

    private static JourneyDefinition Read(string json) => Reader.Read(json) is { IsValid: true } read ? read.Definition! with { Version = 1 } : throw new InvalidOperationException(string.Join("; ", Reader.Read(json).Errors));

    private static JsonObject Customer(string consent = "opted-in") => new()
    {
        ["customerId"] = "C1", ["name"] = "李雷", ["phone"] = "+8613800138000", ["locale"] = "zh-CN", ["timeZone"] = "Asia/Shanghai",
        ["consent"] = new JsonObject { ["sms"] = consent }, ["attributes"] = new JsonObject(), ["tags"] = new JsonArray(),
    };

    private static SimulationResult Run(JourneyDefinition journey, DateTimeOffset start, params SimulatedEvent[] events) =>
        Simulator.Run(new SimulationInput(journey, 1, Customer(), start, ((EventTrigger)journey.Trigger).Event,
            new JsonObject { ["saleId"] = "S1", ["product"] = "理财产品A" }, events, start.AddDays(400)));

    private static string Marketing(string firstStep) => $$$"""
        { "id": "promo", "trigger": { "type": "event", "event": "sale.completed" }, "start": "first", "steps": [
            {{{firstStep}}},
            { "id": "offer", "type": "send", "channel": "sms", "template": "offer", "category": "marketing" } ],
          "templates": { "offer": { "sms": { "en": "An offer for {{ customer.name }}" } } } }
        """;

    [Fact]
    public void TheShippedPostSaleJourneyThanksAt10LocalTheNextDayAndTakesTheReplyBranch()
    {
        var journey = Read(File.ReadAllText(Path.Combine(RepoPaths.ShippedJourneys, "post-sale-follow-up.json")));
        var reply = new SimulatedEvent(new DateTimeOffset(2026, 3, 10, 12, 0, 0, TimeSpan.FromHours(8)), "sms.received", new JsonObject { ["message"] = "5" });

        var result = Run(journey, Start, reply);

        var messages = result.Timeline.Where(e => e.Kind == "message").ToList();
        Assert.Equal(["thank-you", "ask-satisfaction", "check-in", "check-in", "check-in", "check-in"], messages.Select(m => m.StepId)); // then a check-in every 90 days
        var thanks = messages[0];
        Assert.Equal(new DateTimeOffset(2026, 3, 3, 10, 0, 0, TimeSpan.FromHours(8)), thanks.At);
        Assert.Equal(TimeSpan.FromHours(8), thanks.LocalAt.Offset);
        Assert.Equal(("thank-you", "sent", "+8613800138000", 1), (thanks.StepId, (string)thanks.Detail["status"]!, (string)thanks.Detail["to"]!, (int)thanks.Detail["segments"]!));
        Assert.StartsWith("李雷，感谢您选择理财产品A", (string)thanks.Detail["body"]!, StringComparison.Ordinal);
        Assert.Equal(new DateTimeOffset(2026, 3, 10, 10, 0, 0, TimeSpan.FromHours(8)), messages[1].At);
        Assert.Contains(result.Timeline, e => e.Kind == "update" && (string)e.Detail["set"]!["satisfaction"]! == "5");
        Assert.Equal(new DateTimeOffset(2026, 6, 8, 12, 0, 0, TimeSpan.FromHours(8)), messages[2].At); // 90 days after the answer
        Assert.Equal("waiting", result.Outcome);
        Assert.Equal(["entered", "wait", "step", "message", "wait", "step", "message", "wait", "event", "step", "update", "step", "step", "wait"],
            result.Timeline.Take(14).Select(e => e.Kind));
        Assert.Equal([HistoryKinds.TimerFired, HistoryKinds.TimerFired, HistoryKinds.EventReceived, HistoryKinds.Branch, HistoryKinds.Branch],
            result.Timeline.Where(e => e.Kind == "step").Take(5).Select(e => (string)e.Detail["kind"]!));
    }

    [Fact]
    public void WithoutTheReplyTheTimeoutBranchSendsOneReminder()
    {
        var journey = Read(File.ReadAllText(Path.Combine(RepoPaths.ShippedJourneys, "post-sale-follow-up.json")));
        var result = Run(journey, Start);
        Assert.Equal(new DateTimeOffset(2026, 3, 13, 10, 0, 0, TimeSpan.FromHours(8)), result.Timeline.Single(e => e.Kind == "wait" && e.StepId == "await-score").Detail["timeoutAt"]!.GetValue<DateTimeOffset>());
        var reminder = Assert.Single(result.Timeline, e => e.Kind == "message" && e.StepId == "remind");
        Assert.Equal(new DateTimeOffset(2026, 3, 13, 10, 0, 0, TimeSpan.FromHours(8)), reminder.At);
    }

    [Fact]
    public void QuietHoursDeferAMarketingMessageToTheirEnd()
    {
        var journey = Read(Marketing("""{ "id": "first", "type": "wait", "duration": "PT7H", "next": "offer" }"""));
        var result = Run(journey, Start); // 15:00 + 7h = 22:00 local, inside 21:00-08:00

        var messages = result.Timeline.Where(e => e.Kind == "message").ToList();
        Assert.Equal(["deferred", "sent"], messages.Select(m => (string)m.Detail["status"]!));
        Assert.Equal(("quiet hours", Start.AddHours(7)), ((string)messages[0].Detail["reason"]!, messages[0].At));
        Assert.Equal(new DateTimeOffset(2026, 3, 3, 8, 0, 0, TimeSpan.FromHours(8)), messages[1].At);
        Assert.Equal("An offer for 李雷", (string)messages[1].Detail["body"]!);
    }

    [Fact]
    public void ConsentWithdrawnInTheTimelineSuppressesAMarketingMessage()
    {
        var journey = Read(Marketing("""{ "id": "first", "type": "wait", "duration": "PT2H", "next": "offer" }"""));
        var withdrawn = new SimulatedEvent(Start.AddHours(1), "consent.changed", new JsonObject { ["channel"] = "sms", ["status"] = "opted-out" });

        var message = Run(journey, Start, withdrawn).Timeline.Single(e => e.Kind == "message");

        Assert.Equal(("suppressed", "no marketing consent for sms (opted-out)"), ((string)message.Detail["status"]!, (string)message.Detail["reason"]!));
        Assert.Equal("sent", (string)Run(journey, Start).Timeline.Single(e => e.Kind == "message").Detail["status"]!);
    }

    [Fact]
    public void TheSameInputGivesTheSameAnswer()
    {
        var journey = Read(File.ReadAllText(Path.Combine(RepoPaths.ShippedJourneys, "post-sale-follow-up.json")));
        var reply = new SimulatedEvent(Start.AddDays(8), "sms.received", new JsonObject { ["message"] = "4" });
        Assert.Equal(JsonSerializer.Serialize(Run(journey, Start, reply), JsonSerializerOptions.Web), JsonSerializer.Serialize(Run(journey, Start, reply), JsonSerializerOptions.Web));
    }

    [Fact]
    public void RequestFaultsComeWithTheirPaths()
    {
        var errors = new List<DefinitionError>();
        var body = JsonNode.Parse("""
            { "customer": { "phone": "12345", "consent": { "sms": "maybe" }, "nickname": "x" }, "start": "yesterday", "until": "forever",
              "events": [ { "after": "PT1H", "type": "consent.changed", "data": { "channel": "fax", "status": "opted-out" } }, { "type": "x.y" } ] }
            """);
        Assert.Null(SimulationRequest.Read(body, errors));
        var paths = errors.Select(e => e.Path).ToList();
        Assert.Contains("/customer/phone", paths);
        Assert.Contains("/customer/nickname", paths);
        Assert.Contains("/start", paths);
        Assert.Contains("/until", paths);
        Assert.Contains("/events/0/data/channel", paths);
        Assert.Contains("/events/1", paths);
        Assert.Contains(paths, p => p.StartsWith("/customer/consent", StringComparison.Ordinal));
    }
}
