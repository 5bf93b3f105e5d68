using System.Collections.Concurrent;
using Retention.Core.Definitions;

namespace Retention.Journeys;

/// <summary>
/// Parses the definitions instances carry, once per process: a version's text never changes, so the parse is as
/// deterministic as the text and replays cost no parsing. It does not validate: the text was validated when it was
/// published, and a reader made stricter since must not fail the instances that carry it.
/// </summary>
public sealed class JourneyDefinitions
{
    private const int MaxCached = 512;

    private readonly ConcurrentDictionary<string, JourneyDefinition> _parsed = new(StringComparer.Ordinal);

    public JourneyDefinition Parse(string json, int version)
    {
        if (_parsed.TryGetValue(json, out var cached) && cached.Version == version)
        {
            return cached;
        }
        var read = JourneyDefinitionReader.ReadPublished(json)
            ?? throw new InvalidOperationException("The instance's journey definition does not read: it has no id, start or steps.");
        var definition = read with { Version = version };
        if (_parsed.Count >= MaxCached)
        {
            _parsed.Clear();
        }
        _parsed[json] = definition;
        return definition;
    }
}
