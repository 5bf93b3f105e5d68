using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Retention.Application.Ingest;
using Retention.Application.Scheduling;
using Retention.Core.Customers;
using Retention.Core.Events;
using Retention.Core.Ports;

namespace Retention.Application.Customers;

/// <summary>What one recomputation found and did.</summary>
public sealed record PyramidRecomputeResult(
    int Scanned, int Active, int Inactive, int Prospects, IReadOnlyDictionary<string, int> Tiers,
    int Changed, int StatusChanges, int TierChanges, int EventsRaised, int Conflicts,
    TimeSpan ScanTime, TimeSpan WriteTime)
{
    public JsonObject ToJson() => new()
    {
        ["scanned"] = Scanned,
        ["active"] = Active,
        ["inactive"] = Inactive,
        ["prospects"] = Prospects,
        ["tiers"] = new JsonObject([.. Tiers.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => KeyValuePair.Create(t.Key, (JsonNode?)t.Value))]),
        ["changed"] = Changed,
        ["statusChanges"] = StatusChanges,
        ["tierChanges"] = TierChanges,
        ["eventsRaised"] = EventsRaised,
        ["conflicts"] = Conflicts,
        ["scanSeconds"] = Math.Round(ScanTime.TotalSeconds, 3),
        ["writeSeconds"] = Math.Round(WriteTime.TotalSeconds, 3),
    };
}

/// <summary>
/// Recomputes the customer pyramid (<see cref="Pyramid"/>) over every customer — the <c>pyramid</c> system job, which
/// is also the dormant scan. One streaming pass reads only the columns the placement needs; the ranking is in
/// memory; only customers whose status or tier changed are written, each against the version the scan read and many
/// at once.
/// Each change raises <c>customer.status_changed</c> / <c>customer.tier_changed</c> through the ingest path, with
/// ids derived from the occurrence; the row remembers which occurrence placed it and what it was before, so a rerun
/// of the same occurrence after a crash re-raises what it may have missed and nothing twice.
/// </summary>
public sealed class PyramidRecompute(
    ICustomerScans customers,
    PyramidSettings settings,
    EventIngestor ingestor,
    TimeProvider time,
    ILogger<PyramidRecompute> logger) : ISystemJob
{
    public const string JobKind = "pyramid";
    private const int MaxAttempts = 10;

    public string Kind => JobKind;

    /// <summary>Writes (and event raises) in flight at once.</summary>
    public int WriteConcurrency { get; set; } = 32;

    public async Task<JsonObject> RunAsync(SystemJobRun run, CancellationToken cancellationToken) =>
        (await RecomputeAsync(run.Tag, run.Occurrence, cancellationToken)).ToJson();

    /// <param name="tag">Names this occurrence in the ids of the events it raises.</param>
    /// <param name="occurrence">
    /// The events' time. Fixed per occurrence, so a re-raised event is the very same event: the event log keeps it
    /// once (its row key is time and id), and instances ignore an event id they saw.
    /// </param>
    public async Task<PyramidRecomputeResult> RecomputeAsync(string tag, DateTimeOffset occurrence, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var scanClock = Stopwatch.StartNew();
        var rows = new List<CustomerStanding>();
        await foreach (var row in customers.StandingsAsync(settings.RankBy, now, cancellationToken))
        {
            rows.Add(row);
        }
        var ranking = new PyramidRanking(
            rows.Where(r => Pyramid.StatusOf(r.Standing.LastActivityAt, now, settings.ActiveWithin) == CustomerStatus.Active).Select(r => r.Standing.Measure),
            settings);
        var placements = new PyramidPlacement[rows.Count];
        var pending = new List<int>();
        for (var i = 0; i < rows.Count; i++)
        {
            placements[i] = Pyramid.Place(rows[i].Standing, ranking, now, settings.ActiveWithin);
            if (Pyramid.Differs(rows[i].Standing, placements[i]) || rows[i].PlacedBy == tag)
            {
                pending.Add(i);
            }
        }
        scanClock.Stop();

        var writeClock = Stopwatch.StartNew();
        var counts = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        await Parallel.ForEachAsync(pending, new ParallelOptions { MaxDegreeOfParallelism = WriteConcurrency, CancellationToken = cancellationToken }, async (i, ct) =>
        {
            foreach (var counted in await SettleAsync(rows[i], placements[i], ranking, tag, now, occurrence, ct))
            {
                counts.AddOrUpdate(counted, 1, (_, n) => n + 1);
            }
        });
        writeClock.Stop();

        var final = rows.Select((r, i) => placements[i]).ToList();
        var result = new PyramidRecomputeResult(
            rows.Count,
            final.Count(p => p.Status == CustomerStatus.Active),
            final.Count(p => p.Status == CustomerStatus.Inactive),
            final.Count(p => p.Status == CustomerStatus.Prospect),
            final.Where(p => p.Status == CustomerStatus.Active).GroupBy(p => p.Tier!).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal),
            counts.GetValueOrDefault("changed"), counts.GetValueOrDefault("status"), counts.GetValueOrDefault("tier"),
            counts.GetValueOrDefault("event"), counts.GetValueOrDefault("conflict"),
            scanClock.Elapsed, writeClock.Elapsed);
        logger.PyramidRecomputed(tag, result.Scanned, result.Changed, result.EventsRaised);
        return result;
    }

    /// <summary>Writes one customer's new placement (re-reading it when it changed since the scan) and raises its events.</summary>
    private async Task<List<string>> SettleAsync(CustomerStanding row, PyramidPlacement placement, PyramidRanking ranking, string tag, DateTimeOffset now, DateTimeOffset occurrence, CancellationToken cancellationToken)
    {
        var counted = new List<string>();
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            if (!Pyramid.Differs(row.Standing, placement))
            {
                if (row.PlacedBy == tag)
                {
                    // Placed by this very occurrence in an earlier, interrupted run: its events may not have been raised.
                    var reraised = await RaiseAsync(row.CustomerId, row.PreviousStatus, row.PreviousTier, placement, tag, occurrence, cancellationToken);
                    counted.AddRange(Enumerable.Repeat("event", reraised));
                }
                return counted;
            }
            var from = Pyramid.EffectiveStatus(row.Standing.Status, row.Standing.LastActivityAt);
            var write = await customers.PlaceAsync(row, placement, tag, from, settings.RankBy, now, cancellationToken);
            if (write.Outcome == PlacementOutcome.Changed)
            {
                // A transaction or profile change since the scan: place the customer again from what is stored now.
                counted.Add("conflict");
                if (write.Current is null)
                {
                    return counted;
                }
                row = write.Current;
                placement = Pyramid.Place(row.Standing, ranking, now, settings.ActiveWithin);
                continue;
            }
            if (write.Outcome == PlacementOutcome.Gone)
            {
                return counted;
            }
            counted.Add("changed");
            if (from != placement.Status)
            {
                counted.Add("status");
            }
            if (row.Standing.Tier != placement.Tier)
            {
                counted.Add("tier");
            }
            var raised = await RaiseAsync(row.CustomerId, from, row.Standing.Tier, placement, tag, occurrence, cancellationToken);
            counted.AddRange(Enumerable.Repeat("event", raised));
            return counted;
        }
        throw new InvalidOperationException($"Customer {row.CustomerId} kept changing during the pyramid recomputation; the job will be retried.");
    }

    /// <returns>How many events were raised.</returns>
    private async Task<int> RaiseAsync(string customerId, string? fromStatus, string? fromTier, PyramidPlacement to, string tag, DateTimeOffset occurrence, CancellationToken cancellationToken)
    {
        var raised = 0;
        if (fromStatus != to.Status)
        {
            await ingestor.AcceptAsync(PyramidEvents.StatusChangedEvent(tag, customerId, fromStatus, to.Status, occurrence), recordSeen: false, cancellationToken);
            raised++;
        }
        if (fromTier != to.Tier)
        {
            await ingestor.AcceptAsync(PyramidEvents.TierChangedEvent(tag, customerId, fromTier, to.Tier, occurrence), recordSeen: false, cancellationToken);
            raised++;
        }
        return raised;
    }
}
