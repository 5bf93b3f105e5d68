using System.Text.Json.Nodes;
using Retention.Core.Definitions;

namespace Retention.Application.Journeys;

/// <param name="Op"><c>added</c>, <c>removed</c> or <c>changed</c>.</param>
public sealed record JsonChange(string Path, string Op, JsonNode? Before, JsonNode? After);

/// <summary>
/// A structural diff of two journey definitions. Steps are matched by id, not by position, so a reordered or inserted
/// step is one change rather than a cascade; their paths read <c>/steps/{stepId}/...</c>. Other arrays compare by index.
/// </summary>
public static class JourneyDiff
{
    public static IReadOnlyList<JsonChange> Compare(JsonNode? from, JsonNode? to)
    {
        var changes = new List<JsonChange>();
        Walk(Normalize(from), Normalize(to), "", changes);
        return changes;
    }

    private static void Walk(JsonNode? before, JsonNode? after, string path, List<JsonChange> changes)
    {
        switch (before, after)
        {
            case (JsonObject a, JsonObject b):
                foreach (var (key, value) in a)
                {
                    if (b.TryGetPropertyValue(key, out var other))
                    {
                        Walk(value, other, JsonPointer.Append(path, key), changes);
                    }
                    else
                    {
                        changes.Add(new JsonChange(JsonPointer.Append(path, key), "removed", value?.DeepClone(), null));
                    }
                }
                foreach (var (key, value) in b.Where(kv => !a.ContainsKey(kv.Key)))
                {
                    changes.Add(new JsonChange(JsonPointer.Append(path, key), "added", null, value?.DeepClone()));
                }
                break;
            case (JsonArray a, JsonArray b):
                for (var i = 0; i < Math.Max(a.Count, b.Count); i++)
                {
                    var at = JsonPointer.Append(path, i);
                    if (i >= a.Count)
                    {
                        changes.Add(new JsonChange(at, "added", null, b[i]?.DeepClone()));
                    }
                    else if (i >= b.Count)
                    {
                        changes.Add(new JsonChange(at, "removed", a[i]?.DeepClone(), null));
                    }
                    else
                    {
                        Walk(a[i], b[i], at, changes);
                    }
                }
                break;
            case (null, not null):
                changes.Add(new JsonChange(path, "added", null, after.DeepClone()));
                break;
            case (not null, null):
                changes.Add(new JsonChange(path, "removed", before.DeepClone(), null));
                break;
            default:
                if (!JsonNode.DeepEquals(before, after))
                {
                    changes.Add(new JsonChange(path, "changed", before?.DeepClone(), after?.DeepClone()));
                }
                break;
        }
    }

    /// <summary>The steps array as an object keyed by step id (when every step has a distinct id), in array order.</summary>
    private static JsonNode? Normalize(JsonNode? root)
    {
        if (root?.DeepClone() is not JsonObject copy || copy["steps"] is not JsonArray steps)
        {
            return root;
        }
        var ids = steps.Select(s => s is JsonObject o && o["id"] is JsonValue v && v.TryGetValue<string>(out var id) ? id : null).ToList();
        if (ids.Any(id => id is null) || ids.Distinct(StringComparer.Ordinal).Count() != ids.Count)
        {
            return copy;
        }
        var byId = new JsonObject();
        for (var i = 0; i < steps.Count; i++)
        {
            byId[ids[i]!] = steps[i]!.DeepClone();
        }
        copy["steps"] = byId;
        return copy;
    }
}
