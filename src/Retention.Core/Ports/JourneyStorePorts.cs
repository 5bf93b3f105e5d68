using Retention.Core.Definitions;

namespace Retention.Core.Ports;

public sealed record JourneyHead(string JourneyId, int LatestVersion, bool Paused, string Hash, DateTimeOffset PublishedAt, string? Name = null);

public sealed record PublishResult(int Version, bool Changed);

/// <summary>Publishing journey versions, beside reading them (<see cref="IJourneyCatalog"/>).</summary>
public interface IJourneyVersions : IJourneyCatalog
{
    /// <summary>Each journey's head: its latest version, whether it is paused, the hash of its JSON.</summary>
    IReadOnlyList<JourneyHead> Heads { get; }

    /// <summary>A version's JSON as published.</summary>
    Task<string?> ReadJsonAsync(string journeyId, int version, CancellationToken cancellationToken);

    /// <param name="onlyIfNew">Publish only when the journey has no version yet (seeding).</param>
    Task<PublishResult> PublishAsync(JourneyDefinition definition, string json, string publishedBy, bool onlyIfNew, CancellationToken cancellationToken);

    /// <summary>Reads the heads and the active versions again.</summary>
    Task RefreshAsync(CancellationToken cancellationToken);
}

/// <summary>A journey's working copy: its JSON as saved, who saved it and when, and the version that fences publishing it.</summary>
public sealed record JourneyDraft(string JourneyId, string Json, DateTimeOffset SavedAt, string SavedBy, string ETag);

/// <summary>One draft per journey, overwritten by the next save and removed when published or discarded.</summary>
public interface IJourneyDrafts
{
    Task<JourneyDraft?> GetAsync(string journeyId, CancellationToken cancellationToken);

    /// <summary>Removes the draft; with <paramref name="ifMatch"/>, only the version that was read. Returns whether one was removed.</summary>
    Task<bool> DeleteAsync(string journeyId, string? ifMatch, CancellationToken cancellationToken);
}
