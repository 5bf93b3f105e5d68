using System.Text.Json.Nodes;
using Retention.Core.Definitions;
using Retention.Core.Events;
using Retention.Core.Runtime;

namespace Retention.Core.Tests;

/// <summary>Test data: journeys from compact JSON, customers and events.</summary>
internal static class JourneyBuilder
{
    public static readonly DateTimeOffset Monday = new(2026, 3, 2, 1, 0, 0, TimeSpan.Zero); // 09:00 in Shanghai

    public static JourneyDefinition Journey(string steps, string extra = "", string start = "a", string templates = DefaultTemplates)
    {
        var json = $$"""
        { "id": "test-journey", "name": "Test", "trigger": { "type": "event", "event": "sale.completed" },
          "start": "{{start}}", "steps": [ {{steps}} ], "templates": {{templates}} {{(extra.Length > 0 ? "," + extra : "")}} }
        """;
        var read = new JourneyDefinitionReader().Read(json);
        Assert.True(read.IsValid, string.Join("\n", read.Errors.Select(e => $"{e.Path} {e.Message}")));
        return read.Definition! with { Version = 1 };
    }

    public const string DefaultTemplates = """{ "hello": { "sms": { "en": "Hello {{ customer.name }}" }, "email": { "en": { "subject": "Hi", "text": "Hello" } } } }""";

    public static JsonObject Customer(string id = "C1", string timeZone = "Asia/Shanghai", string? tier = null, string? birthday = null) => new()
    {
        ["customerId"] = id, ["name"] = "Ann", ["phone"] = "+8613800138000", ["timeZone"] = timeZone, ["tier"] = tier, ["birthday"] = birthday,
        ["ownerId"] = "am-1", ["attributes"] = new JsonObject(), ["tags"] = new JsonArray(),
    };

    public static CustomerEvent Event(string type, JsonObject? data = null, string customerId = "C1", DateTimeOffset? at = null, string? id = null) =>
        new(id ?? Guid.NewGuid().ToString("N"), "test", type, at ?? Monday, customerId, data ?? []);

    public static StartInstance Start(JourneyDefinition journey, JsonObject? customer = null, CustomerEvent? trigger = null, IReadOnlyList<CustomerEvent>? recent = null)
    {
        trigger ??= Event("sale.completed", new JsonObject { ["customerId"] = "C1", ["saleId"] = "S1" });
        var enter = (Enter)EntryPolicy.Decide(journey, trigger, null, Monday);
        return new StartInstance(enter.InstanceId, enter.EntryKey, trigger, customer ?? Customer(), recent ?? []);
    }
}
