using System.Text.Json.Nodes;
using Retention.Application.Routing;
using Retention.Core.Customers;
using Retention.Core.Definitions;
using Retention.Core.Events;
using Retention.Core.Ports;
using Retention.Core.Runtime;
using Retention.Journeys;

namespace Retention.Application.Ingest;

public sealed record IngestResult(int Accepted, int Duplicates, IReadOnlyList<string> AcceptedTypes);

/// <summary>What a request would change, found by reads alone: its new events with their customers, or why it is refused.</summary>
public sealed record IngestPlan(IReadOnlyList<CustomerEvent> Fresh, int Duplicates, IReadOnlyList<DefinitionError> Errors);

/// <summary>
/// Accepts validated events and applies them. A webhook request is accepted with one durable write (<see cref="AcceptAsync(IngestPlan, AcceptedSignature?, CancellationToken)"/>
/// puts its events in the <see cref="IIngestInbox"/>) and applied behind the acknowledgement by the <see cref="IngestDrain"/>;
/// events from inside the service (an inbound SMS, a staff action, the pyramid) are applied at once. Applying an
/// event resolves nothing new: it stores the profile change and the event log, and routes the event to journeys
/// (starts and signals). The ingest ledger entry that marks an event as applied is written last, so a crash midway
/// re-applies whatever was interrupted, and every step is idempotent.
/// </summary>
public sealed class EventIngestor(
    IIngestLedger ledger,
    IIngestInbox inbox,
    ICustomerProfileChanges profiles,
    ICorrelationIndex lookups,
    ICustomerEventLog log,
    JourneyRouter router,
    ICustomerTransactions transactions,
    TimeProvider time) : ICustomerEventSink
{
    /// <summary>Storage calls one request makes at once: enough to hide round trips, few enough not to flood storage.</summary>
    private const int Parallelism = 16;

    /// <summary>
    /// Reads only (which events were applied before, which customer a complaint belongs to); nothing is written until
    /// the plan is accepted.
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
                    ?? await lookups.FindAsync(ICorrelationIndex.Complaint, complaintId, cancellationToken);
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
    /// Accepts a valid plan: its events and the request's signature in one inbox write, to be applied behind the
    /// answer in acceptance order per customer. A request that opens complaints first records which customer each
    /// belongs to, so a follow-up naming only the complaint resolves at once even before the opening is applied
    /// (the record is idempotent, and harmless if the inbox write then fails).
    /// </summary>
    public async Task<(IngestResult Result, SignatureUse Signature)> AcceptAsync(IngestPlan plan, AcceptedSignature? signature, CancellationToken cancellationToken)
    {
        if (plan.Errors.Count > 0)
        {
            throw new ArgumentException("Only a plan without errors is accepted; the caller answers the errors.", nameof(plan));
        }
        await Task.WhenAll(plan.Fresh.Where(e => e.Type == KnownEventTypes.ComplaintOpened)
            .Select(e => lookups.PutAsync(ICorrelationIndex.Complaint, e.Data["complaintId"]!.GetValue<string>(), e.CustomerId, cancellationToken)));
        var use = await inbox.AcceptAsync(plan.Fresh, signature, cancellationToken);
        return use == SignatureUse.First
            ? (new IngestResult(plan.Fresh.Count, plan.Duplicates, [.. plan.Fresh.Select(e => e.Type)]), use)
            : (new IngestResult(0, plan.Fresh.Count + plan.Duplicates, []), use);
    }

    /// <summary>Applies one event whose customer is known: from the inbox, an inbound SMS or the admin API.</summary>
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
            null when e.Type == KnownEventTypes.ComplaintOpened => lookups.PutAsync(ICorrelationIndex.Complaint, e.Data["complaintId"]!.GetValue<string>(), e.CustomerId, cancellationToken),
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
