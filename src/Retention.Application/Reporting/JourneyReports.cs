using Retention.Core.Definitions;
using Retention.Core.Ports;
using Retention.Core.Reporting;

namespace Retention.Application.Reporting;

/// <param name="Entered">Instances that entered the journey (holdouts included).</param>
/// <param name="Outcomes">Finished instances by status and outcome.</param>
public sealed record FunnelReport(string JourneyId, IReadOnlyList<FunnelStep> Steps, long Entered, IReadOnlyList<OutcomeCount> Outcomes);

/// <param name="Outcome">The exit's or goal's outcome of a completed or exited instance; null for a terminated or failed one.</param>
public sealed record OutcomeCount(string Status, string? Outcome, long Count);

/// <param name="Type">The step's type in the active version; null for a step only older versions have.</param>
public sealed record FunnelStep(string StepId, string? Type, long Entered);

public sealed record ConversionCount(long Count, long Converted);

/// <param name="Lift">Treated conversion rate minus holdout conversion rate; null while either group is empty.</param>
/// <param name="Ci95">A 95% (Wald) interval for the lift; null while either group is empty.</param>
public sealed record LiftReport(string JourneyId, ConversionCount Treated, ConversionCount Holdout, double? Lift, IReadOnlyList<double>? Ci95);

/// <param name="Total">SLA clocks started, including those still running and not yet breached.</param>
/// <param name="Compliance">Within target ÷ (within target + breached); null before any clock is settled.</param>
public sealed record SlaRow(string Severity, long Total, long WithinTarget, long Breached, double? Compliance);

public sealed record MessageCountRow(string Channel, string Status, string? Reason, long Count);

/// <summary>
/// The admin reports, read from the report counters (<see cref="IFactCounters"/>): exact at any number of instances,
/// at the cost of each journey's counter rows (facts x versions x days).
/// </summary>
public sealed class JourneyReports(IJourneyVersions catalog, IFactCounters counters, TimeProvider time)
{
    private static readonly string[] SeverityOrder = ["critical", "high", "normal", "low"];

    public bool Exists(string journeyId) => catalog.Heads.Any(h => h.JourneyId == journeyId);

    /// <summary>Instances that reached each step, in the active version's step order, then steps only older versions have.</summary>
    public async Task<FunnelReport> FunnelAsync(string journeyId, CancellationToken cancellationToken)
    {
        var totals = JourneyCounts.Totals(await counters.ReadAsync(journeyId, [JourneyFacts.Entered, JourneyFacts.StepPrefix, JourneyFacts.OutcomePrefix], null, cancellationToken));
        var reached = totals.Where(t => t.Key.StartsWith(JourneyFacts.StepPrefix, StringComparison.Ordinal))
            .ToDictionary(t => t.Key[JourneyFacts.StepPrefix.Length..], t => t.Value, StringComparer.Ordinal);
        var active = catalog.Active.FirstOrDefault(d => d.Id == journeyId);
        var steps = (active?.Steps ?? []).Select(s => new FunnelStep(s.Id, StepTypes.Of(s), reached.GetValueOrDefault(s.Id))).ToList();
        steps.AddRange(reached.Keys.Where(k => steps.All(s => s.StepId != k)).Order(StringComparer.Ordinal).Select(k => new FunnelStep(k, null, reached[k])));
        var outcomes = totals.Select(t => (Key: JourneyFacts.ReadOutcome(t.Key), Count: t.Value)).Where(t => t.Key is not null)
            .Select(t => new OutcomeCount(t.Key!.Value.Status, t.Key.Value.Outcome, t.Count))
            .OrderBy(o => o.Status, StringComparer.Ordinal).ThenByDescending(o => o.Count).ToList();
        return new FunnelReport(journeyId, steps, totals.GetValueOrDefault(JourneyFacts.Entered), outcomes);
    }

    public async Task<LiftReport> LiftAsync(string journeyId, CancellationToken cancellationToken)
    {
        // "holdout" also reads "holdout-converted".
        var totals = JourneyCounts.Totals(await counters.ReadAsync(journeyId, [JourneyFacts.Entered, JourneyFacts.Holdout, JourneyFacts.Converted], null, cancellationToken));
        var held = totals.GetValueOrDefault(JourneyFacts.Holdout);
        var treated = new ConversionCount(totals.GetValueOrDefault(JourneyFacts.Entered) - held, totals.GetValueOrDefault(JourneyFacts.Converted));
        var holdout = new ConversionCount(held, totals.GetValueOrDefault(JourneyFacts.HoldoutConverted));
        var (lift, ci) = Difference(treated, holdout);
        return new LiftReport(journeyId, treated, holdout, lift, ci);
    }

    /// <summary>The difference of two proportions with its Wald 95% interval (normal approximation).</summary>
    public static (double? Lift, IReadOnlyList<double>? Ci95) Difference(ConversionCount treated, ConversionCount holdout)
    {
        if (treated.Count == 0 || holdout.Count == 0)
        {
            return (null, null);
        }
        var p1 = (double)treated.Converted / treated.Count;
        var p0 = (double)holdout.Converted / holdout.Count;
        var standardError = Math.Sqrt((p1 * (1 - p1) / treated.Count) + (p0 * (1 - p0) / holdout.Count));
        var lift = p1 - p0;
        return (lift, [lift - (1.96 * standardError), lift + (1.96 * standardError)]);
    }

    /// <summary>
    /// SLA clocks by the severity their instance's trigger carried (a complaint's), over every journey: started, stopped
    /// within target, and breached (past the target, stopped or still running, as of the instance's last step).
    /// </summary>
    public async Task<IReadOnlyList<SlaRow>> SlaAsync(CancellationToken cancellationToken)
    {
        var rows = new Dictionary<string, (long Total, long Within, long Breached)>(StringComparer.Ordinal);
        foreach (var count in await ReadEachAsync(JourneyFacts.SlaPrefix, null, cancellationToken))
        {
            if (JourneyFacts.ReadSla(count.Fact) is not { } sla)
            {
                continue;
            }
            var (severity, measure) = sla;
            var row = rows.GetValueOrDefault(severity);
            rows[severity] = measure switch
            {
                JourneyFacts.SlaStarted => row with { Total = row.Total + count.Count },
                JourneyFacts.SlaMet => row with { Within = row.Within + count.Count },
                JourneyFacts.SlaBreached => row with { Breached = row.Breached + count.Count },
                _ => row,
            };
        }
        return [.. rows.OrderBy(r => Array.IndexOf(SeverityOrder, r.Key) is var i and >= 0 ? i : SeverityOrder.Length).ThenBy(r => r.Key, StringComparer.Ordinal)
            .Select(r => new SlaRow(r.Key, r.Value.Total, r.Value.Within, r.Value.Breached,
                r.Value.Within + r.Value.Breached == 0 ? null : (double)r.Value.Within / (r.Value.Within + r.Value.Breached)))];
    }

    /// <summary>Messages by channel, status and reason group, of those first recorded in the last <paramref name="days"/> days (UTC).</summary>
    public async Task<IReadOnlyList<MessageCountRow>> MessagesAsync(int days, string? journeyId, CancellationToken cancellationToken)
    {
        var since = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime.AddDays(-days));
        var counts = journeyId is null
            ? await ReadEachAsync(JourneyFacts.MessagePrefix, since, cancellationToken)
            : await counters.ReadAsync(journeyId, [JourneyFacts.MessagePrefix], since, cancellationToken);
        return [.. counts.Select(c => (Key: JourneyFacts.ReadMessage(c.Fact), c.Count)).Where(c => c.Key is not null)
            .GroupBy(c => c.Key!.Value).Select(g => new MessageCountRow(g.Key.Channel, g.Key.Status, g.Key.Reason, g.Sum(c => c.Count)))
            .OrderBy(r => r.Channel, StringComparer.Ordinal).ThenBy(r => r.Status, StringComparer.Ordinal).ThenByDescending(r => r.Count)];
    }

    /// <summary>The counts of every journey in the catalog, each journey's read on its own (its listed days' partitions).</summary>
    private async Task<IReadOnlyList<FactCount>> ReadEachAsync(string factPrefix, DateOnly? since, CancellationToken cancellationToken) =>
        [.. (await Task.WhenAll(catalog.Heads.Select(h => counters.ReadAsync(h.JourneyId, [factPrefix], since, cancellationToken)))).SelectMany(c => c)];
}
