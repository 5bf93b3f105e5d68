using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Retention.Core.Conditions;

/// <summary>A condition over values in a <see cref="ValueScope"/>: profile, trigger, current event and context.</summary>
public abstract record Condition
{
    public abstract bool Evaluate(ValueScope scope);

    /// <summary>Every value path the condition reads, for validation.</summary>
    public abstract IEnumerable<string> Paths { get; }

    /// <summary>Text of a value: a string as it is, anything else as JSON; null when absent.</summary>
    public static string? AsTextOrNull(JsonNode? node) => Comparison.AsText(node);
}

public sealed record AllCondition(IReadOnlyList<Condition> Conditions) : Condition
{
    public override bool Evaluate(ValueScope scope) => Conditions.All(c => c.Evaluate(scope));
    public override IEnumerable<string> Paths => Conditions.SelectMany(c => c.Paths);
}

public sealed record AnyCondition(IReadOnlyList<Condition> Conditions) : Condition
{
    public override bool Evaluate(ValueScope scope) => Conditions.Any(c => c.Evaluate(scope));
    public override IEnumerable<string> Paths => Conditions.SelectMany(c => c.Paths);
}

public sealed record NotCondition(Condition Inner) : Condition
{
    public override bool Evaluate(ValueScope scope) => !Inner.Evaluate(scope);
    public override IEnumerable<string> Paths => Inner.Paths;
}

public enum ComparisonOperator { Eq, Ne, In, NotIn, Gt, Gte, Lt, Lte, Exists, Contains }

/// <summary>
/// Compares the value at <see cref="Path"/> with a literal, or with the value at <see cref="ValuePath"/> (another sale than
/// the trigger's). Numbers compare numerically, the rest as text.
/// </summary>
public sealed record Comparison(string Path, ComparisonOperator Op, JsonNode? Value, string? ValuePath = null) : Condition
{
    public override IEnumerable<string> Paths => ValuePath is null ? [Path] : [Path, ValuePath];

    public override bool Evaluate(ValueScope scope)
    {
        var actual = scope.Resolve(Path);
        var expected = ValuePath is null ? Value : scope.Resolve(ValuePath);
        return Op switch
        {
            ComparisonOperator.Exists => (actual is not null) == (expected is null || expected.GetValueKind() != JsonValueKind.False),
            ComparisonOperator.Eq => ValuesEqual(actual, expected),
            ComparisonOperator.Ne => !ValuesEqual(actual, expected),
            ComparisonOperator.In => expected is JsonArray options && options.Any(o => ValuesEqual(actual, o)),
            ComparisonOperator.NotIn => expected is not JsonArray list || !list.Any(o => ValuesEqual(actual, o)),
            ComparisonOperator.Gt => Compare(actual, expected) is > 0,
            ComparisonOperator.Gte => Compare(actual, expected) is >= 0,
            ComparisonOperator.Lt => Compare(actual, expected) is < 0,
            ComparisonOperator.Lte => Compare(actual, expected) is <= 0,
            ComparisonOperator.Contains => actual switch
            {
                JsonArray items => items.Any(i => ValuesEqual(i, expected)),
                JsonValue text when text.GetValueKind() == JsonValueKind.String && AsText(expected) is { } needle =>
                    text.GetValue<string>().Contains(needle, StringComparison.OrdinalIgnoreCase),
                _ => false,
            },
            _ => throw new InvalidOperationException($"Unhandled operator {Op}."),
        };
    }

    internal static bool ValuesEqual(JsonNode? left, JsonNode? right)
    {
        if (left is null || right is null)
        {
            return left is null && right is null;
        }
        if (AsNumber(left) is { } l && AsNumber(right) is { } r)
        {
            return l == r;
        }
        return string.Equals(AsText(left), AsText(right), StringComparison.Ordinal);
    }

    private static int? Compare(JsonNode? left, JsonNode? right)
    {
        if (AsNumber(left) is { } l && AsNumber(right) is { } r)
        {
            return l.CompareTo(r);
        }
        return AsText(left) is { } lt && AsText(right) is { } rt ? string.CompareOrdinal(lt, rt) : null;
    }

    /// <summary>Numbers, and text that is a number (an SMS reply "4" compares with 2).</summary>
    internal static decimal? AsNumber(JsonNode? node)
    {
        if (node is not JsonValue value)
        {
            return null;
        }
        return value.GetValueKind() switch
        {
            JsonValueKind.Number => JsonNumbers.TryGetDecimal(value, out var number) ? number : null,
            JsonValueKind.String when decimal.TryParse(value.GetValue<string>().Trim(), NumberStyles.Number, CultureInfo.InvariantCulture, out var parsed) => parsed,
            _ => null,
        };
    }

    internal static string? AsText(JsonNode? node) => node switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => node.ToJsonString(),
    };
}
