using Retention.Core.Definitions;

namespace Retention.Storage.Journeys;

/// <summary>Publishes the journeys in a folder (the shipped <c>config/journeys/</c> by default) when they differ from what is stored.</summary>
public sealed class JourneySeeder(JourneyCatalog catalog, JourneyDefinitionReader reader)
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
            results.Add((definition.Id, await catalog.PublishAsync(definition, json, cancellationToken)));
        }
        await catalog.RefreshAsync(cancellationToken);
        return results;
    }
}

public sealed class InvalidJourneyFileException(string file, IReadOnlyList<DefinitionError> errors)
    : Exception($"Journey file {file} is invalid: " + string.Join("; ", errors.Select(e => $"{(e.Path.Length == 0 ? "/" : e.Path)} {e.Message}")))
{
    public IReadOnlyList<DefinitionError> Errors { get; } = errors;
}
