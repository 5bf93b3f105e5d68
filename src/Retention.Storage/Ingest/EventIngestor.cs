using System.Text.Json.Nodes;
using Retention.Core.Customers;
using Retention.Core.Definitions;
using Retention.Core.Events;
using Retention.Storage.Customers;
using Retention.Storage.Work;

namespace Retention.Storage.Ingest;

public sealed record IngestResult(int Accepted, int Duplicates, IReadOnlyList<DefinitionError> Errors, IReadOnlyList<string>? AcceptedTypes = null)
{
    public bool IsValid => Errors.Count == 0;
}

/// <summary>
/// Accepts validated events: resolves each one's customer, stores profiles and the event log, and queues the event
/// for routing. All events of a request are resolved before anything is written, so a bad batch changes nothing.
/// The write order makes a crash safe: the ledger entry that marks an event as seen is written last, so a retried
/// webhook re-applies whatever was interrupted, and every step is idempotent.
/// </summary>
public sealed class EventIngestor(
    IngestLedger ledger,
    CustomerProfileStore profiles,
    CorrelationIndex lookups,
    CustomerEventLog log,
    WorkQueue queue,
    CustomerTransactions transactions,
    TimeProvider time)
{
    public async Task<IngestResult> IngestAsync(IReadOnlyList<IncomingEvent> incoming, string pathPrefixFormat, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var errors = new List<DefinitionError>();
        var fresh = new List<CustomerEvent>();
        var seenInRequest = new HashSet<string>(StringComparer.Ordinal);
        var complaintsInRequest = new Dictionary<string, string>(StringComparer.Ordinal);
        var duplicates = 0;
        for (var i = 0; i < incoming.Count; i++)
        {
            var e = incoming[i];
            var path = string.Format(System.Globalization.CultureInfo.InvariantCulture, pathPrefixFormat, i);
            if (!seenInRequest.Add($"{e.Source}|{e.Id}") || await ledger.SeenAsync(e.Source, e.Id, cancellationToken))
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
            fresh.Add(new CustomerEvent(e.Id, e.Source, e.Type, e.Time ?? now, customerId, e.Data));
        }
        if (errors.Count > 0)
        {
            return new IngestResult(0, 0, errors);
        }
        foreach (var e in fresh)
        {
            await AcceptAsync(e, cancellationToken);
        }
        return new IngestResult(fresh.Count, duplicates, [], [.. fresh.Select(e => e.Type)]);
    }

    /// <summary>Accepts one event whose customer is known: from a webhook, an inbound SMS or the admin API.</summary>
    /// <param name="recordSeen">
    /// False for internal events whose id is derived from their cause (the pyramid's): no webhook can repeat them,
    /// and a repeat is deduplicated by the event log and the instances, so the ledger write is saved.
    /// </param>
    public async Task AcceptAsync(CustomerEvent e, CancellationToken cancellationToken, bool recordSeen = true)
    {
        switch (e.Type)
        {
            case KnownEventTypes.CustomerUpserted:
                var changes = (JsonObject)e.Data.DeepClone();
                changes.Remove("customerId");
                await profiles.UpsertAsync(e.CustomerId, changes, e.Time, cancellationToken);
                break;
            case KnownEventTypes.ConsentChanged:
                var consent = new JsonObject { [e.Data["channel"]!.GetValue<string>()] = e.Data["status"]!.GetValue<string>() };
                await profiles.UpsertAsync(e.CustomerId, new JsonObject { ["consent"] = consent }, e.Time, cancellationToken, mergeConsent: true);
                break;
            case KnownEventTypes.CustomerStatusChanged or KnownEventTypes.CustomerTierChanged
                when e.Source != PyramidEvents.Source && e.Data["to"] is JsonValue announced && announced.TryGetValue<string>(out var segment):
                // From a core system: the profile carries the segment, so a journey this event starts already sees it.
                await profiles.SetSegmentAsync(e.CustomerId, e.Type == KnownEventTypes.CustomerStatusChanged ? CustomerRow.Status : CustomerRow.Tier, segment, cancellationToken);
                break;
            case KnownEventTypes.ComplaintOpened:
                await lookups.PutAsync(CorrelationIndex.Complaint, e.Data["complaintId"]!.GetValue<string>(), e.CustomerId, cancellationToken);
                break;
            case KnownEventTypes.TransactionPosted:
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
                    var data = (JsonObject)e.Data.DeepClone();
                    data["firstPayment"] = true;
                    e = e with { Data = data };
                }
                break;
        }
        await log.AppendAsync(e, cancellationToken);
        await queue.EnqueueAsync(new RouteEventMessage(e), cancellationToken: cancellationToken);
        if (recordSeen)
        {
            await ledger.RecordAsync(e.Source, e.Id, e.Type, time.GetUtcNow(), cancellationToken);
        }
    }
}
