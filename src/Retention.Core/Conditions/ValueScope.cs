using System.Text.Json.Nodes;

namespace Retention.Core.Conditions;

/// <summary>
/// The values a journey can read, by dotted path: <c>customer.tier</c>, <c>trigger.data.saleId</c>,
/// <c>event.data.message</c>, <c>context.score</c>, <c>journey.id</c>.
/// </summary>
public sealed class ValueScope(JsonObject customer, JsonObject trigger, JsonObject context, JsonObject? currentEvent, JsonObject journey)
{
    public JsonNode? Resolve(string path)
    {
        var segments = path.Split('.');
        JsonNode? node = segments[0] switch
        {
            "customer" => customer,
            "trigger" => trigger,
            "event" => currentEvent,
            "context" => context,
            "journey" => journey,
            _ => null,
        };
        foreach (var segment in segments.Skip(1))
        {
            node = node is JsonObject obj && obj.TryGetPropertyValue(segment, out var child) ? child : null;
            if (node is null)
            {
                return null;
            }
        }
        return node;
    }
}
