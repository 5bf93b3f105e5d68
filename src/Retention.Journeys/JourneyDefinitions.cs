using Retention.Core.Definitions;
using Retention.Core.Ports;
using Retention.Core.Runtime;

namespace Retention.Journeys;

/// <summary>
/// The definitions instances run, once per process. An instance names its journey's published version, whose text this
/// worker reads from the catalog once and keeps (a bounded cache); an instance started before that carries the text
/// itself. Either way the parse is cached by text: a version's text never changes, so the parse is as deterministic as
/// the text and replays cost no parsing. It does not validate: the text was validated when it was published, and a
/// reader made stricter since must not fail the instances that carry it.
/// </summary>
/// <remarks>
/// Reading the catalog for a replaying orchestration is safe only because a published version is immutable (the catalog
/// stores each version once, under its number, and never rewrites it; invariant 6, versions are pinned): every replay,
/// on any worker, gets the same text. The standalone engine reads it before the episode runs
/// (<see cref="ReadAheadAsync"/>), so the orchestrator finds it cached and a storage outage abandons the episode for a
/// retry instead of failing the instance; elsewhere (the Functions host) a miss reads it in the episode.
/// </remarks>
public sealed class JourneyDefinitions(IPublishedDefinitions published)
{
    private const int MaxCached = 512;

    private readonly BoundedCache<string, JourneyDefinition> _parsed = new(MaxCached, StringComparer.Ordinal);
    private readonly BoundedCache<(string JourneyId, int Version), string> _published = new(MaxCached);

    /// <summary>The definition a generation runs: the text it carries, else its journey's published version.</summary>
    public (JourneyDefinition Definition, string Json) Of(JourneyRun run)
    {
        var json = run.Definition ?? Published(run.JourneyId ?? throw new InvalidOperationException("The instance names neither its definition nor its journey."), run.Version);
        return (Parse(json, run.Version), json);
    }

    /// <summary>
    /// Reads a generation's published version into the cache unless it carries its text or is cached: for the engine to
    /// call before the episode, outside the orchestrator, where a failed read can be retried.
    /// </summary>
    public async Task ReadAheadAsync(JourneyRun run, CancellationToken cancellationToken)
    {
        if (run is { Definition: null, JourneyId: { } journeyId } && !_published.ContainsKey((journeyId, run.Version)))
        {
            Remember(journeyId, run.Version, await ReadAsync(journeyId, run.Version, cancellationToken));
        }
    }

    private string Published(string journeyId, int version) =>
        _published.TryGetValue((journeyId, version), out var json)
            ? json
            // On the thread pool: a continuation must not wait for the orchestration's own scheduler, which this call blocks.
            : Remember(journeyId, version, Task.Run(() => ReadAsync(journeyId, version, CancellationToken.None)).GetAwaiter().GetResult());

    private async Task<string> ReadAsync(string journeyId, int version, CancellationToken cancellationToken) =>
        await published.ReadJsonAsync(journeyId, version, cancellationToken)
            ?? throw new InvalidOperationException($"Journey {journeyId} has no published version {version}.");

    private string Remember(string journeyId, int version, string json) => _published.Set((journeyId, version), json);

    public JourneyDefinition Parse(string json, int version)
    {
        if (_parsed.TryGetValue(json, out var cached) && cached.Version == version)
        {
            return cached;
        }
        var read = JourneyDefinitionReader.ReadPublished(json)
            ?? throw new InvalidOperationException("The instance's journey definition does not read: it has no id, start or steps.");
        var definition = read with { Version = version };
        return _parsed.Set(json, definition);
    }
}
