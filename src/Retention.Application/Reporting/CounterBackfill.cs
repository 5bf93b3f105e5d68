using System.Text.Json.Nodes;
using Retention.Application.Scheduling;
using Retention.Core.Ports;
using Retention.Core.Reporting;
using Retention.Journeys;

namespace Retention.Application.Reporting;

/// <summary>
/// Counts what the report counters do not know yet: every instance (those begun before the counters, and those that
/// failed, which record nothing as they fail) and every logged message, each from what it is now. Recording is
/// idempotent, so a second run (or a run beside the live counting) changes no figure. A system job of kind
/// <c>counters</c> (<c>POST /api/jobs/counters/run</c>).
/// </summary>
public sealed class CounterBackfill(IJourneyInstances instances, IMessageLog messages, IFactCounters counters, PinnedInterpreters interpreters, TimeProvider time)
    : ISystemJob
{
    public const string JobKind = "counters";

    private const int PageSize = 500;

    /// <summary>Records in hand at once: enough for the counters to write them in groups.</summary>
    private const int RecordsAtOnce = 100;

    public string Kind => JobKind;

    public async Task<JsonObject> RunAsync(SystemJobRun run, CancellationToken cancellationToken)
    {
        var (counted, read) = (0, 0);
        var calendars = interpreters.Current.Settings.Calendars;
        string? token = null;
        do
        {
            var page = await instances.QueryAsync(null, null, PageSize, token, cancellationToken);
            var counting = page.Items.Select(i => i.State)
                .Select(state => JourneyFacts.CountedOf(state, time.GetUtcNow(), calendars))
                .Where(facts => facts.Facts.Count > 0)
                .ToList();
            // Side by side: the counters write a page's records together.
            await Parallel.ForEachAsync(counting, Together(cancellationToken), async (facts, ct) => await counters.RecordAsync(facts, ct));
            counted += counting.Count;
            token = page.ContinuationToken;
        }
        while (token is not null);
        token = null;
        do
        {
            var (records, next) = await messages.PageAsync(PageSize, token, cancellationToken);
            await Parallel.ForEachAsync(records, Together(cancellationToken), async (record, ct) => await messages.CountAsync(record, ct));
            read += records.Count;
            token = next;
        }
        while (token is not null);
        return new JsonObject { ["instances"] = counted, ["messages"] = read };
    }

    private static ParallelOptions Together(CancellationToken cancellationToken) =>
        new() { MaxDegreeOfParallelism = RecordsAtOnce, CancellationToken = cancellationToken };
}
