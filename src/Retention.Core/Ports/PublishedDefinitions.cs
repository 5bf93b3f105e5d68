namespace Retention.Core.Ports;

/// <summary>Published journey versions as their JSON, as published: immutable, so a reader may keep them.</summary>
public interface IPublishedDefinitions
{
    Task<string?> ReadJsonAsync(string journeyId, int version, CancellationToken cancellationToken);
}
