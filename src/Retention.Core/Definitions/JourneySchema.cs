using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace Retention.Core.Definitions;

/// <summary>
/// The journey definition JSON Schema (<c>schemas/journey.schema.json</c>, embedded in this assembly): the one statement
/// of a definition's shape. <see cref="Check"/> turns each failure into a <see cref="DefinitionError"/> at the JSON
/// Pointer of the offending value, worded from the schema itself: its <c>errorMessage</c> and
/// <c>patternErrorMessage</c> annotations (which editors such as VS Code also show), its property lists, enums and bounds.
/// </summary>
public static class JourneySchema
{
    private static readonly EvaluationOptions Quick = new() { OutputFormat = OutputFormat.Flag };
    private static readonly EvaluationOptions Detailed = new() { OutputFormat = OutputFormat.Hierarchical };
    private static readonly JsonObject Document;
    private static readonly JsonSchema Schema;

#pragma warning disable CA1810 // the schema text is read once, and both views of it come from that one read
    static JourneySchema()
    {
        using var stream = typeof(JourneySchema).Assembly.GetManifestResourceStream("journey.schema.json")
            ?? throw new InvalidOperationException("The journey schema is not embedded in Retention.Core.");
        // The assembly's own resource, not the file system: copied, not read through a reader.
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        Text = System.Text.Encoding.UTF8.GetString(copy.GetBuffer(), 0, (int)copy.Length);
        Document = JsonNode.Parse(Text)!.AsObject();
        Schema = JsonSchema.FromText(Text);
        StepTypes = [.. Document["$defs"]!["step"]!["properties"]!["type"]!["enum"]!.AsArray().Select(t => t!.GetValue<string>())];
    }
#pragma warning restore CA1810

    /// <summary>The schema as shipped, for <c>GET /api/journeys/schema</c>.</summary>
    public static string Text { get; }

    /// <summary>The step types the schema allows, in its order.</summary>
    public static IReadOnlyList<string> StepTypes { get; }

    /// <summary>Every place where <paramref name="definition"/> breaks the schema; empty when it has the journey shape.</summary>
    public static IReadOnlyList<DefinitionError> Check(JsonNode? definition)
    {
        using var document = JsonDocument.Parse(definition?.ToJsonString() ?? "null");
        if (Schema.Evaluate(document.RootElement, Quick).IsValid)
        {
            return [];
        }
        var failures = new Failures(definition);
        failures.Walk(Schema.Evaluate(document.RootElement, Detailed), Document, null);
        // Whatever the wording misses, a definition the schema rejects is never accepted.
        return failures.Errors.Count > 0 ? failures.Errors : [new DefinitionError("", "does not match the journey schema")];
    }

    /// <summary>Walks the failing branches of an evaluation alongside the schema that produced them.</summary>
    private sealed class Failures(JsonNode? instance)
    {
        private static readonly Dictionary<string, string> NoErrors = [];

        public List<DefinitionError> Errors { get; } = [];

        /// <param name="condition">Why this part of the value is checked at all, when a <c>then</c> applies it: "policy is oncePerKey".</param>
        /// <param name="ofName">Under <c>propertyNames</c>: the value checked is the member name at the node's location.</param>
        public void Walk(EvaluationResults node, JsonNode? schema, string? condition, bool ofName = false)
        {
            if (node.IsValid)
            {
                return;
            }
            var at = node.InstanceLocation.ToString();
            var own = schema as JsonObject;
            foreach (var keyword in (node.Errors ?? NoErrors).Keys)
            {
                Keyword(keyword, at, own, condition, ofName);
            }
            var path = node.EvaluationPath.ToString();
            foreach (var group in (node.Details ?? []).GroupBy(child => Segments(child.EvaluationPath.ToString()[path.Length..])[0]))
            {
                var children = group.ToList();
                switch (group.Key)
                {
                    case "if":
                        break; // a failed `if` only chooses `else`
                    case "not":
                        if (children.Any(c => c.IsValid))
                        {
                            Add(at, own?["errorMessage"]?.GetValue<string>() ?? Forbidden(own?["not"]));
                        }
                        break;
                    case "oneOf" or "anyOf":
                        Alternatives(group.Key, at, own, children);
                        break;
                    case "additionalProperties" when own is not null && own["additionalProperties"] is JsonValue:
                        var known = string.Join(", ", ((own["properties"] as JsonObject) ?? []).Select(p => p.Key));
                        foreach (var child in children.Where(c => !c.IsValid))
                        {
                            Add(child.InstanceLocation.ToString(), $"unknown property; expected one of {known}");
                        }
                        break;
                    default:
                        foreach (var child in children.Where(c => !c.IsValid))
                        {
                            var relative = Segments(child.EvaluationPath.ToString()[path.Length..]);
                            var chosen = group.Key == "then" && own?["then"]?["$ref"] is null ? When(own?["if"]) : null;
                            Walk(child, Resolve(schema, relative), chosen ?? (group.Key == "then" ? null : condition), ofName || group.Key == "propertyNames");
                        }
                        break;
                }
            }
        }

        private void Keyword(string keyword, string at, JsonObject? own, string? condition, bool ofName)
        {
            var value = ofName ? JsonValue.Create(Segments(at)[^1]) : Find(at);
            var custom = own?["errorMessage"]?.GetValue<string>();
            switch (keyword)
            {
                case "required":
                    foreach (var name in Names(own?["required"]).Where(n => value is JsonObject o && !o.ContainsKey(n)))
                    {
                        Add(JsonPointer.Append(at, name), condition is null ? "is required" : $"is required when {condition}");
                    }
                    break;
                case "dependentRequired":
                    foreach (var (present, needs) in own?["dependentRequired"] as JsonObject ?? [])
                    {
                        foreach (var name in Names(needs).Where(n => value is JsonObject o && o.ContainsKey(present) && !o.ContainsKey(n)))
                        {
                            Add(JsonPointer.Append(at, name), custom ?? $"is required with '{present}'");
                        }
                    }
                    break;
                case "type":
                    Add(at, condition is null ? TypeMessage(own?["type"]) : $"{TypeMessage(own?["type"])} when {condition}");
                    break;
                case "pattern":
                    Add(at, $"{Show(value)} {own?["patternErrorMessage"]?.GetValue<string>() ?? "does not have the expected form"}");
                    break;
                default:
                    Add(at, custom ?? Bound(keyword, own, value));
                    break;
            }
        }

        /// <summary>A failed <c>oneOf</c> or <c>anyOf</c>: its own message, the choice it offers, or the one branch that fits the value's type.</summary>
        private void Alternatives(string keyword, string at, JsonObject? own, List<EvaluationResults> branches)
        {
            var matched = branches.Count(b => b.IsValid);
            if (keyword == "anyOf" ? matched > 0 : matched == 1)
            {
                return;
            }
            if (own?["errorMessage"]?.GetValue<string>() is { } custom)
            {
                Add(at, custom);
                return;
            }
            var choices = own?[keyword] as JsonArray ?? [];
            if (choices.All(c => c is JsonObject o && o.Count == 1 && Names(o["required"]).Count == 1))
            {
                var names = choices.Select(c => $"'{Names(c!["required"])[0]}'").ToList();
                Add(at, $"needs {(keyword == "oneOf" ? "exactly" : "at least")} one of {Join(names)}");
                return;
            }
            var fitting = branches.Where(b => !b.IsValid && !FailsType(b, at)).ToList();
            if (matched == 0 && fitting.Count == 1)
            {
                var index = int.Parse(Segments(fitting[0].EvaluationPath.ToString()).Last(), CultureInfo.InvariantCulture);
                Walk(fitting[0], choices[index], null);
                return;
            }
            Add(at, matched == 0 ? "matches none of the allowed forms" : "matches more than one of the allowed forms");
        }

        private static bool FailsType(EvaluationResults node, string at) =>
            !node.IsValid && !Segments(node.EvaluationPath.ToString()).LastOrDefault("").Equals("if", StringComparison.Ordinal)
            && ((node.InstanceLocation.ToString() == at && node.Errors?.ContainsKey("type") == true) || (node.Details ?? []).Any(c => FailsType(c, at)));

        private JsonNode? Find(string pointer) =>
            Json.Pointer.JsonPointer.Parse(pointer).TryEvaluate(instance, out var value) ? value : null;

        private void Add(string path, string message)
        {
            var error = new DefinitionError(path, message);
            if (!Errors.Contains(error))
            {
                Errors.Add(error);
            }
        }
    }

    /// <summary>The subschema a relative evaluation path leads to; a segment the schema does not have (the library repeats <c>items</c>) is passed over.</summary>
    private static JsonNode? Resolve(JsonNode? schema, IReadOnlyList<string> segments)
    {
        foreach (var segment in segments)
        {
            schema = schema switch
            {
                JsonObject o when segment == "$ref" && o["$ref"] is JsonValue reference => Definition(reference.GetValue<string>()),
                JsonObject o when o.TryGetPropertyValue(segment, out var next) => next,
                JsonArray a when int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < a.Count => a[i],
                _ => schema,
            };
        }
        return schema;
    }

    private static JsonNode? Definition(string reference) =>
        Json.Pointer.JsonPointer.Parse(reference.TrimStart('#')).TryEvaluate(Document, out var target) ? target : null;

    private static List<string> Segments(string pointer) =>
        [.. pointer.Split('/').Skip(1).Select(s => s.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).DefaultIfEmpty("")];

    private static List<string> Names(JsonNode? array) => array is JsonArray a ? [.. a.Select(n => n!.GetValue<string>())] : [];

    /// <summary>"policy is oncePerKey", "op is in or notIn": the condition of an <c>if</c> that tests a property's value.</summary>
    private static string? When(JsonNode? test)
    {
        foreach (var (name, rule) in test?["properties"] as JsonObject ?? [])
        {
            if (rule?["const"] is { } value)
            {
                return $"{name} is {Plain(value)}";
            }
            if (rule?["enum"] is JsonArray values)
            {
                return $"{name} is {Join([.. values.Select(Plain)])}";
            }
        }
        return null;
    }

    private static string Forbidden(JsonNode? inner) => Names(inner?["required"]) switch
    {
        [] => "is not allowed here",
        [var one, var other] => $"give either '{one}' or '{other}', not both",
        var names => $"give only one of {Join([.. names.Select(n => $"'{n}'")])}",
    };

    private static string TypeMessage(JsonNode? type) => (type as JsonValue)?.GetValue<string>() switch
    {
        "object" => "must be an object",
        "array" => "must be an array",
        "string" => "must be a string",
        "integer" => "must be a whole number",
        "number" => "must be a number",
        "boolean" => "must be true or false",
        _ => "has the wrong type",
    };

    private static string Bound(string keyword, JsonObject? own, JsonNode? value)
    {
        decimal? Limit(string name) => own?[name] is JsonValue v && v.TryGetValue<decimal>(out var d) ? d : null;
        switch (keyword)
        {
            case "minimum" or "maximum" or "exclusiveMinimum" or "exclusiveMaximum":
                var low = Limit("minimum") is { } min ? $"at least {min}" : Limit("exclusiveMinimum") is { } above ? $"more than {above}" : null;
                var high = Limit("maximum") is { } max ? $"at most {max}" : Limit("exclusiveMaximum") is { } below ? $"less than {below}" : null;
                return "must be " + string.Join(" and ", new[] { low, high }.Where(b => b is not null));
            case "minLength" or "minItems" or "minProperties" when Limit(keyword) == 1:
                return "must not be empty";
            case "minLength":
                return $"must be at least {Limit(keyword)} characters long";
            case "maxLength":
                return $"is longer than {Limit(keyword)} characters";
            case "minItems" or "minProperties":
                return $"must have at least {Limit(keyword)} entries";
            case "maxItems":
                return $"has {(value as JsonArray)?.Count} items; at most {Limit(keyword)} are allowed";
            case "enum":
                return $"{Show(value)} is not one of {Join([.. Names(own?["enum"])])}";
            case "const":
                return $"must be {Show(own?["const"])}";
            default:
                return $"breaks the schema's '{keyword}' rule";
        }
    }

    private static string Show(JsonNode? value) => value is JsonValue v && v.TryGetValue<string>(out var text) ? $"'{text}'" : Plain(value);

    private static string Plain(JsonNode? value) => value is JsonValue v && v.TryGetValue<string>(out var text) ? text : value?.ToJsonString() ?? "null";

    private static string Join(IReadOnlyList<string> items) =>
        items.Count <= 1 ? string.Join("", items) : $"{string.Join(", ", items.Take(items.Count - 1))} or {items[^1]}";
}
