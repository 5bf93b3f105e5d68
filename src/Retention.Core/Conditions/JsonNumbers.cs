using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Retention.Core.Conditions;

/// <summary>Reads a JSON number whatever CLR type backs the node (parsed JSON, or an int set in code).</summary>
public static class JsonNumbers
{
    public static bool TryGetDecimal(JsonNode? node, out decimal value)
    {
        value = 0;
        return node is JsonValue v && v.GetValueKind() == JsonValueKind.Number
            && decimal.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }
}
