namespace Retention.Core.Ports;

/// <summary>
/// What one subject (a journey instance, a message) counts for now: its facts (<see cref="Reporting.JourneyFacts"/>),
/// counted under its journey, version and day (the instance's start, the message's first record).
/// </summary>
public sealed record CountedFacts(string JourneyId, int Version, DateOnly Day, string Subject, IReadOnlyList<string> Facts);

/// <summary>How many subjects of a journey, version and day count for a fact.</summary>
public sealed record FactCount(string JourneyId, int Version, DateOnly Day, string Fact, long Count);

/// <summary>
/// Counters kept as the work happens, read by the reports and the journey list at a cost that grows with steps and
/// days, not instances. Recording is idempotent: a subject counts for exactly the facts it was last recorded with.
/// </summary>
public interface IFactCounters
{
    /// <summary>Makes the subject count for exactly these facts: adds the new ones, takes back those it no longer has.</summary>
    Task RecordAsync(CountedFacts facts, CancellationToken cancellationToken);

    /// <summary>
    /// Records <paramref name="facts"/> only while the subject counts in that partition for exactly <paramref name="had"/>
    /// (of the same version; empty: not at all). Returns whether the subject now counts for <paramref name="facts"/>.
    /// </summary>
    Task<bool> RecordIfAsync(CountedFacts facts, IReadOnlyList<string> had, CancellationToken cancellationToken);

    /// <summary>
    /// The counts of one journey's facts starting with one of <paramref name="factPrefixes"/> ("" for every fact; at
    /// most <see cref="MaxFactPrefixes"/>), from <paramref name="since"/> on (all days when null).
    /// </summary>
    Task<IReadOnlyList<FactCount>> ReadAsync(string journeyId, IReadOnlyCollection<string> factPrefixes, DateOnly? since, CancellationToken cancellationToken);

    /// <summary>Fact prefixes one read takes: a table filter on Azure holds at most 15 comparisons, two per prefix and the partition's.</summary>
    const int MaxFactPrefixes = 7;
}
