using Microsoft.Extensions.Logging;
using Retention.Core.Definitions;
using Retention.Core.Runtime;
using Retention.Journeys;
using Retention.Storage.Journeys;

namespace Retention.Application.Journeys;

/// <summary>What happens to instances of older versions when a new one is published.</summary>
public enum InFlightChoice
{
    /// <summary>They stay pinned to their version (the default).</summary>
    Keep,
    /// <summary>They move to the new version, each current step to the step the mapping names.</summary>
    Migrate,
    /// <summary>They are ended (terminated) with a recorded outcome.</summary>
    End,
}

public sealed record PublishRequest(InFlightChoice InFlight, IReadOnlyDictionary<string, string> Mapping, string? Outcome);

public abstract record PublishOutcome;

/// <param name="Kept">Unfinished instances left on an older version (by choice, or because they could not move).</param>
public sealed record Published(int Version, bool Changed, int Kept, int Migrated, int Ended) : PublishOutcome;

public sealed record NothingToPublish : PublishOutcome;

/// <summary>The draft or the mapping is not valid; nothing was published.</summary>
public sealed record PublishRefused(IReadOnlyList<DefinitionError> Errors) : PublishOutcome;

/// <summary>
/// Publishes a journey's draft as its next version and then deals with the instances in flight. Everything that can
/// refuse (the draft, the mapping) is checked before the version is written, so a refusal publishes nothing. Moving
/// or ending the instances is a durable <c>JourneyMigration</c> orchestration that signals each one, so a crash midway
/// resumes where it stopped; each instance then migrates (or ends) itself, between two of its own inputs.
/// </summary>
public sealed class JourneyPublisher(
    JourneyCatalog catalog,
    JourneyDrafts drafts,
    JourneyDefinitionReader reader,
    IJourneyInstances instances,
    ILogger<JourneyPublisher> logger)
{
    public async Task<PublishOutcome> PublishAsync(string journeyId, PublishRequest request, string publishedBy, CancellationToken cancellationToken)
    {
        if (await drafts.GetAsync(journeyId, cancellationToken) is not { } draft)
        {
            return new NothingToPublish();
        }
        var read = reader.Read(draft.Json);
        if (!read.IsValid)
        {
            return new PublishRefused(read.Errors); // e.g. a calendar removed since the draft was saved
        }
        var definition = read.Definition!;
        var inFlight = await UnfinishedAsync(journeyId, cancellationToken);
        if (request.InFlight == InFlightChoice.Migrate)
        {
            var errors = JourneyMigration.Check(inFlight.Where(i => !i.Holdout && i.CurrentStepId is not null).Select(i => i.CurrentStepId!), definition, request.Mapping);
            if (errors.Count > 0)
            {
                return new PublishRefused(errors);
            }
        }
        var published = await catalog.PublishAsync(definition, draft.Json, publishedBy, onlyIfNew: false, cancellationToken);
        await drafts.DeleteAsync(journeyId, draft.ETag, cancellationToken); // a draft saved meanwhile stays
        var older = inFlight.Count(i => i.Version != published.Version);
        JourneySignal? signal = request.InFlight switch
        {
            InFlightChoice.Migrate => new JourneySignal(SignalKind.Migrate, Definition: draft.Json, Version: published.Version, Mapping: request.Mapping),
            InFlightChoice.End => new JourneySignal(SignalKind.Terminate, Reason: request.Outcome ?? $"ended on publishing version {published.Version}"),
            _ => null,
        };
        if (signal is not null && older > 0)
        {
            await instances.StartAsync(JourneyTasks.JourneyMigration, $"migration:{journeyId}:{published.Version}",
                new JourneyMigrationRun(journeyId, published.Version, signal), cancellationToken);
        }
        var (kept, migrated, ended) = request.InFlight switch
        {
            InFlightChoice.Migrate => (0, older, 0),
            InFlightChoice.End => (0, 0, older),
            _ => (older, 0, 0),
        };
        logger.JourneyPublishedWithInFlight(journeyId, published.Version, request.InFlight, kept, migrated, ended);
        return new Published(published.Version, published.Changed, kept, migrated, ended);
    }

    /// <summary>The journey's unfinished instances, on any version.</summary>
    private async Task<IReadOnlyList<JourneyInstanceState>> UnfinishedAsync(string journeyId, CancellationToken cancellationToken)
    {
        var found = new List<JourneyInstanceState>();
        string? token = null;
        do
        {
            var page = await instances.QueryAsync(journeyId, null, 500, token, cancellationToken);
            found.AddRange(page.Items.Select(i => i.State).Where(s => !s.Status.IsFinished()));
            token = page.ContinuationToken;
        }
        while (token is not null);
        return found;
    }
}
