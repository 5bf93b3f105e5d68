using Microsoft.Extensions.Logging;
using Retention.Core.Definitions;
using Retention.Core.Ports;

namespace Retention.Application.Journeys;

/// <summary>
/// Seeds the journeys in a folder (the shipped <c>config/journeys/</c> by default): a journey is published from its file
/// only when it has never been published. After that its stored versions are the source of truth, edited through
/// drafts, publish and import; a changed file is not published over an administrator's edits. Every file must still
/// validate, so a broken folder is noticed at start.
/// </summary>
public sealed class JourneySeeder(IJourneyVersions catalog, JourneyDefinitionReader reader, ILogger<JourneySeeder> logger)
{
    /// <exception cref="InvalidJourneyFileException">A file does not validate; nothing from the folder is published.</exception>
    public async Task<IReadOnlyList<(string JourneyId, PublishResult Result)>> SeedAsync(string folder, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(folder))
        {
            throw new InvalidJourneyFileException(folder, [new DefinitionError("", "the journeys folder does not exist")]);
        }
        var definitions = new List<(JourneyDefinition Definition, string Json)>();
        foreach (var file in Directory.EnumerateFiles(folder, "*.json").Order(StringComparer.Ordinal))
        {
            var json = await File.ReadAllTextAsync(file, cancellationToken);
            var read = reader.Read(json);
            if (!read.IsValid)
            {
                throw new InvalidJourneyFileException(file, read.Errors);
            }
            definitions.Add((read.Definition!, json));
        }
        var results = new List<(string, PublishResult)>();
        foreach (var (definition, json) in definitions)
        {
            results.Add((definition.Id, await catalog.PublishAsync(definition, json, "seed", onlyIfNew: true, cancellationToken)));
        }
        await catalog.RefreshAsync(cancellationToken);
        foreach (var (definition, json) in definitions)
        {
            if (catalog.Heads.FirstOrDefault(h => h.JourneyId == definition.Id) is { } head && head.Hash != Core.Runtime.StableHash.Hex(json, 32))
            {
                logger.SeedSkipped(definition.Id, head.LatestVersion);
            }
        }
        return results;
    }
}

public sealed class InvalidJourneyFileException(string file, IReadOnlyList<DefinitionError> errors)
    : Exception($"Journey file {file} is invalid: " + string.Join("; ", errors.Select(e => $"{(e.Path.Length == 0 ? "/" : e.Path)} {e.Message}")))
{
    public IReadOnlyList<DefinitionError> Errors { get; } = errors;
}
