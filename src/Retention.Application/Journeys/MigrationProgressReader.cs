using Retention.Core.Ports;
using Retention.Core.Reporting;

namespace Retention.Application.Journeys;

/// <param name="Signalled">Instances the migration has signalled so far.</param>
/// <param name="Moved">Instances now on the new version.</param>
/// <param name="Ended">Instances that ended (by the migration's "end", or finished before they could move).</param>
/// <param name="Failed">Instances that stayed on their version: a step not mapped, or a suspended instance that must re-enter a step.</param>
/// <param name="Signalling">False once every page of instances has been signalled.</param>
public sealed record MigrationProgressView(string Id, string JourneyId, int Version, long Signalled, long Moved, long Ended, long Failed, bool Signalling);

/// <summary>A migration's progress, from the counters its pages and its instances keep: a read of a few rows.</summary>
public sealed class MigrationProgressReader(IJourneyVersions catalog, IFactCounters counters)
{
    /// <returns>Null for an id that names no published version.</returns>
    public async Task<MigrationProgressView?> ReadAsync(string id, CancellationToken cancellationToken)
    {
        if (MigrationProgress.Read(id) is not { } named)
        {
            return null;
        }
        var (journeyId, version) = named;
        if (catalog.Heads.FirstOrDefault(h => h.JourneyId == journeyId) is not { } head || version > head.LatestVersion)
        {
            return null;
        }
        var totals = (await counters.ReadAsync(MigrationProgress.CounterKey(id), JourneyFacts.All, null, cancellationToken))
            .GroupBy(c => c.Fact, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Sum(c => c.Count), StringComparer.Ordinal);
        return new MigrationProgressView(id, journeyId, version, totals.GetValueOrDefault(MigrationProgress.Signalled), totals.GetValueOrDefault(MigrationProgress.Moved),
            totals.GetValueOrDefault(MigrationProgress.Ended), totals.GetValueOrDefault(MigrationProgress.Failed), totals.GetValueOrDefault(MigrationProgress.Paged) == 0);
    }
}
