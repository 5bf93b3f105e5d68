using System.Collections.Concurrent;
using Retention.Core.Definitions;

namespace Retention.Journeys;

/// <summary>
/// Parses the definitions instances carry, once per process: a version's text never changes, so the parse is as
/// deterministic as the text and replays cost no parsing.
/// </summary>
public sealed class JourneyDefinitions
{
    private const int MaxCached = 512;

    private readonly JourneyDefinitionReader _reader = new();
    private readonly ConcurrentDictionary<string, JourneyDefinition> _parsed = new(StringComparer.Ordinal);

    public JourneyDefinition Parse(string json, int version)
    {
        if (_parsed.TryGetValue(json, out var cached) && cached.Version == version)
        {
            return cached;
        }
        var read = _reader.Read(json);
        if (read.Definition is null)
        {
            throw new InvalidOperationException($"The instance's journey definition does not read: {read.Errors[0].Path} {read.Errors[0].Message}");
        }
        var definition = read.Definition with { Version = version };
        if (_parsed.Count >= MaxCached)
        {
            _parsed.Clear();
        }
        _parsed[json] = definition;
        return definition;
    }
}
