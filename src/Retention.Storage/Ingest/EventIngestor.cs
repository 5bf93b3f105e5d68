using System.Text.Json.Nodes;
using Retention.Core.Customers;
using Retention.Core.Definitions;
using Retention.Core.Events;
using Retention.Storage.Customers;
using Retention.Journeys;
using Retention.Storage.Routing;

namespace Retention.Storage.Ingest;

public sealed record IngestResult(int Accepted, int Duplicates, IReadOnlyList<DefinitionError> Errors, IReadOnlyList<string>? AcceptedTypes = null)
{
    public bool IsValid => Errors.Count == 0;
}

/// <summary>What a request would change, found by reads alone: its new events with their customers, or why it is refused.</summary>
public sealed record IngestPlan(IReadOnlyList<CustomerEvent> Fresh, int Duplicates, IReadOnlyList<DefinitionError> Errors);

/// <summary>
/// Accepts validated events: resolves each one's customer, stores profiles and the event log, and routes the event
/// to journeys (starts and signals). All events of a request are resolved before anything is written, so a bad batch changes nothing.
/// The write order makes a crash safe: the ledger entry that marks an event as seen is written last, so a retried
/// webhook re-applies whatever was interrupted, and every step is idempotent.
/// </summary>
public sealed class EventIngestor(
    IngestLedger ledger,
    CustomerProfileStore profiles,
    CorrelationIndex lookups,
    CustomerEventLog log,
    JourneyRouter router,
    CustomerTransactions transactions,
    TimeProvider time) : ICustomerEventSink
{
    /// <summary>Storage calls one request makes at once: enough to hide round trips, few enough not to flood storage.</summary>
    private const int Parallelism = 16;

    public async Task<IngestResult> IngestAsync(IReadOnlyList<IncomingEvent> incoming, string pathPrefixFormat, CancellationToken cancellationToken) =>
        await CommitAsync(await PrepareAsync(incoming, pathPrefixFormat, cancellationToken), cancellationToken);

    /// <summary>
    /// Reads only (which events were seen before, which customer a complaint belongs to), so it may run alongside
    /// the replay check of the request's signature; nothing is written until <see cref="CommitAsync"/>.
    /// </summary>
    public async Task<IngestPlan> PrepareAsync(IReadOnlyList<IncomingEvent> incoming, string pathPrefixFormat, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var firstOfKey = new HashSet<string>(StringComparer.Ordinal);
        var repeatedInRequest = incoming.Select(e => !firstOfKey.Add($"{e.Source}|{e.Id}")).ToArray();
        var seenBefore = new bool[incoming.Count];
        await ForEachAsync(Enumerable.Range(0, incoming.Count).Where(i => !repeatedInRequest[i]), async (i, ct) =>
            seenBefore[i] = await ledger.SeenAsync(incoming[i].Source, incoming[i].Id, ct), cancellationToken);

        var errors = new List<DefinitionError>();
        var fresh = new List<CustomerEvent>();
        var complaintsInRequest = new Dictionary<string, string>(StringComparer.Ordinal);
        var duplicates = 0;
        for (var i = 0; i < incoming.Count; i++)
        {
            var e = incoming[i];
            var path = string.Format(System.Globalization.CultureInfo.InvariantCulture, pathPrefixFormat, i);
            if (repeatedInRequest[i] || seenBefore[i])
            {
                duplicates++;
                continue;
            }
            var customerId = e.CustomerId;
            var complaintId = e.Data["complaintId"] is JsonValue complaintValue && complaintValue.TryGetValue<string>(out var complaintText) ? complaintText : null;
            if (customerId is null && complaintId is not null)
            {
                customerId = complaintsInRequest.GetValueOrDefault(complaintId)
                    ?? await lookups.FindAsync(CorrelationIndex.Complaint, complaintId, cancellationToken);
            }
            if (customerId is null)
            {
                errors.Add(new DefinitionError($"{path}/data/complaintId", "unknown complaint: send complaint.opened first, or include customerId"));
                continue;
            }
            if (e.Type == KnownEventTypes.ComplaintOpened && complaintId is not null)
            {
                complaintsInRequest[complaintId] = customerId;
            }
            fresh.Add(new CustomerEvent(e.Id, e.Source, e.Type, e.Time ?? now, customerId, e.Data) { ReceivedAt = now });
        }
        return errors.Count > 0 ? new IngestPlan([], 0, errors) : new IngestPlan(fresh, duplicates, []);
    }

    /// <summary>
    /// Writes a valid plan. One customer's events are accepted in request order (a profile update before the event
    /// that relies on it, a complaint before its follow-ups); different customers' events at once.
    /// </summary>
    public async Task<IngestResult> CommitAsync(IngestPlan plan, CancellationToken cancellationToken)
    {
        if (plan.Errors.Count > 0)
        {
            return new IngestResult(0, 0, plan.Errors);
        }
        await ForEachAsync(plan.Fresh.GroupBy(e => e.CustomerId, StringComparer.Ordinal), async (events, ct) =>
        {
            foreach (var e in events)
            {
                await AcceptAsync(e, ct);
            }
        }, cancellationToken);
        return new IngestResult(plan.Fresh.Count, plan.Duplicates, [], [.. plan.Fresh.Select(e => e.Type)]);
    }

    /// <summary>Accepts one event whose customer is known: from a webhook, an inbound SMS or the admin API.</summary>
    /// <param name="recordSeen">
    /// False for internal events whose id is derived from their cause (the pyramid's): no webhook can repeat them,
    /// and a repeat is deduplicated by the event log and the instances, so the ledger write is saved.
    /// </param>
    public Task AcceptAsync(CustomerEvent customerEvent, CancellationToken cancellationToken) => AcceptAsync(customerEvent, recordSeen: true, cancellationToken);

    public async Task AcceptAsync(CustomerEvent e, bool recordSeen, CancellationToken cancellationToken)
    {
        if (e.Type == KnownEventTypes.TransactionPosted)
        {
            // Aggregates first, so journeys that branch on them when this event reaches them see it counted.
            var outcome = await transactions.ApplyAsync(e, cancellationToken);
            if (outcome.RepeatOfAnotherEvent)
            {
                await ledger.RecordAsync(e.Source, e.Id, e.Type, time.GetUtcNow(), cancellationToken);
                return; // the same transaction under another event id: counted and routed once already
            }
            if (outcome.StatusTo is { } to)
            {
                await AcceptAsync(PyramidEvents.StatusChangedEvent($"txn:{KeyEncoding.Encode(e.Data["transactionId"]!.GetValue<string>())}", e.CustomerId, outcome.StatusFrom, to, e.Time), cancellationToken);
            }
            if (outcome.FirstPayment)
            {
                e = PostedTransaction.MarkFirstPayment(e);
            }
        }
        var state = ProfileChange.Of(e) switch
        {
            SegmentChange when e.Source == PyramidEvents.Source => Task.CompletedTask, // the pyramid wrote its own columns
            // Before the route: a journey this event starts already sees its change.
            { } change => profiles.ApplyAsync(e.CustomerId, change, e.Time, cancellationToken),
            null when e.Type == KnownEventTypes.ComplaintOpened => lookups.PutAsync(CorrelationIndex.Complaint, e.Data["complaintId"]!.GetValue<string>(), e.CustomerId, cancellationToken),
            _ => Task.CompletedTask,
        };
        // The profile (or lookup) and the log entry do not depend on each other, so they are written at once; both
        // precede the route, which reads them, and the ledger entry comes last.
        await Task.WhenAll(state, log.AppendAsync(e, cancellationToken));
        await router.RouteAsync(e, cancellationToken);
        if (recordSeen)
        {
            await ledger.RecordAsync(e.Source, e.Id, e.Type, time.GetUtcNow(), cancellationToken);
        }
    }

    /// <summary>Runs the body for each item, <see cref="Parallelism"/> at a time; a single item without the machinery.</summary>
    private static async Task ForEachAsync<T>(IEnumerable<T> items, Func<T, CancellationToken, ValueTask> body, CancellationToken cancellationToken)
    {
        var list = items as IReadOnlyCollection<T> ?? items.ToList();
        if (list.Count == 1)
        {
            await body(list.First(), cancellationToken);
            return;
        }
        await Parallel.ForEachAsync(list, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken }, body);
    }
}
