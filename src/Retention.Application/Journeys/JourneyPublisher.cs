using Microsoft.Extensions.Logging;
using Retention.Core.Definitions;
using Retention.Core.Ports;
using Retention.Core.Reporting;
using Retention.Core.Runtime;
using Retention.Journeys;

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

/// <param name="Kept">Unfinished instances left on an older version by choice (as the report counters know them when publishing).</param>
/// <param name="Migrated">Unfinished instances of older versions the migration is to move.</param>
/// <param name="Ended">Unfinished instances of older versions the migration is to end.</param>
/// <param name="MigrationId">The migration that signals them, for its progress (<c>GET /api/migrations/{id}</c>); null when kept.</param>
public sealed record Published(int Version, bool Changed, long Kept, long Migrated, long Ended, string? MigrationId = null) : PublishOutcome;

public sealed record NothingToPublish : PublishOutcome;

/// <summary>The draft or the mapping is not valid; nothing was published.</summary>
public sealed record PublishRefused(IReadOnlyList<DefinitionError> Errors) : PublishOutcome;

/// <summary>
/// Publishes a journey's draft as its next version and then deals with the instances in flight. Everything that can
/// refuse (the draft, the mapping) is checked before the version is written, so a refusal publishes nothing. The
/// instances in flight and the steps they are at are read from the report counters, not listed, so publishing costs
/// the same with a million instances as with one. Moving or ending them is a durable <c>JourneyMigration</c>
/// orchestration, started here and left to run: it signals them a page at a time, and each instance then migrates (or
/// ends) itself, between two of its own inputs, and reports how it went to the migration's progress.
/// </summary>
public sealed class JourneyPublisher(
    IJourneyVersions catalog,
    IJourneyDrafts drafts,
    JourneyDefinitionReader reader,
    IJourneyInstances instances,
    IFactCounters counters,
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
        var counted = await counters.ReadAsync(journeyId, [JourneyFacts.Entered, JourneyFacts.OutcomePrefix, JourneyFacts.AtPrefix], null, cancellationToken);
        if (request.InFlight == InFlightChoice.Migrate)
        {
            var at = counted.Where(c => c.Count > 0 && c.Fact.StartsWith(JourneyFacts.AtPrefix, StringComparison.Ordinal)).Select(c => c.Fact[JourneyFacts.AtPrefix.Length..]);
            var errors = JourneyMigration.Check(at, definition, request.Mapping);
            if (errors.Count > 0)
            {
                return new PublishRefused(errors);
            }
        }
        var published = await catalog.PublishAsync(definition, draft.Json, publishedBy, onlyIfNew: false, cancellationToken);
        await drafts.DeleteAsync(journeyId, draft.ETag, cancellationToken); // a draft saved meanwhile stays
        var older = Unfinished(counted.Where(c => c.Version != published.Version));
        JourneySignal? signal = request.InFlight switch
        {
            InFlightChoice.Migrate => new JourneySignal(SignalKind.Migrate, Version: published.Version, Mapping: request.Mapping),
            InFlightChoice.End => new JourneySignal(SignalKind.Terminate, Reason: request.Outcome ?? $"ended on publishing version {published.Version}"),
            _ => null,
        };
        string? migrationId = null;
        if (signal is not null)
        {
            // Started whatever the counters say: instances begun before them (not yet backfilled) move too.
            var run = new JourneyMigrationRun(journeyId, published.Version, signal);
            await instances.StartAsync(JourneyTasks.JourneyMigration, JourneyMigrationRun.InstanceIdOf(journeyId, published.Version), run, cancellationToken);
            migrationId = run.Id;
        }
        var (kept, migrated, ended) = request.InFlight switch
        {
            InFlightChoice.Migrate => (0L, older, 0L),
            InFlightChoice.End => (0L, 0L, older),
            _ => (older, 0L, 0L),
        };
        logger.JourneyPublishedWithInFlight(journeyId, published.Version, request.InFlight, kept, migrated, ended);
        return new Published(published.Version, published.Changed, kept, migrated, ended, migrationId);
    }

    /// <summary>Instances entered and not finished, by the counters.</summary>
    private static long Unfinished(IEnumerable<FactCount> counts) =>
        counts.Sum(c => c.Fact == JourneyFacts.Entered ? c.Count : c.Fact.StartsWith(JourneyFacts.OutcomePrefix, StringComparison.Ordinal) ? -c.Count : 0);
}
