using Retention.Core.Ports;
using Retention.Core.Reporting;

namespace Retention.Application.Reporting;

/// <param name="Entries">Instances ever started (holdouts included).</param>
/// <param name="Active">Instances not yet finished.</param>
/// <param name="Converted">Instances that reached the journey's goal.</param>
/// <param name="Holdout">Instances held out of the steps to measure lift.</param>
public sealed record JourneyCountsView(long Entries, long Active, long Converted, long Holdout)
{
    public static readonly JourneyCountsView None = new(0, 0, 0, 0);
}

/// <summary>
/// Per-journey instance counts for the journey list, read from the report counters: exact, and a read of each
/// journey's counter rows (per version, day and fact) rather than of its instances.
/// </summary>
public sealed class JourneyCounts(IJourneyVersions catalog, IFactCounters counters)
{
    public async Task<IReadOnlyDictionary<string, JourneyCountsView>> GetAsync(CancellationToken cancellationToken)
    {
        var counts = await Task.WhenAll(catalog.Heads.Select(async h => (h.JourneyId, Counts: await OfAsync(h.JourneyId, cancellationToken))));
        return counts.ToDictionary(c => c.JourneyId, c => c.Counts, StringComparer.Ordinal);
    }

    public async Task<JourneyCountsView> OfAsync(string journeyId, CancellationToken cancellationToken)
    {
        // "holdout" also reads "holdout-converted".
        var totals = Totals(await counters.ReadAsync(journeyId, [JourneyFacts.Entered, JourneyFacts.OutcomePrefix, JourneyFacts.Holdout, JourneyFacts.Converted], null, cancellationToken));
        var finished = totals.Where(t => t.Key.StartsWith(JourneyFacts.OutcomePrefix, StringComparison.Ordinal)).Sum(t => t.Value);
        var entered = totals.GetValueOrDefault(JourneyFacts.Entered);
        return new JourneyCountsView(entered, entered - finished,
            totals.GetValueOrDefault(JourneyFacts.Converted) + totals.GetValueOrDefault(JourneyFacts.HoldoutConverted), totals.GetValueOrDefault(JourneyFacts.Holdout));
    }

    /// <summary>Each fact's count over every version and day.</summary>
    internal static Dictionary<string, long> Totals(IEnumerable<FactCount> counts) =>
        counts.GroupBy(c => c.Fact, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Sum(c => c.Count), StringComparer.Ordinal);
}
