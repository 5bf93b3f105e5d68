using System.Text.Json.Nodes;
using Retention.Core.Customers;
using Retention.Core.Events;

namespace Retention.Core.Ports;

/// <summary>Whether a profile change was written, or lost to a newer one already applied.</summary>
public enum ProfileWrite { Applied, Stale }

/// <summary>Profile changes from events, applied in event-time order: an event older than the one applied never overwrites it.</summary>
public interface ICustomerProfileChanges
{
    Task<ProfileWrite> ApplyAsync(string customerId, ProfileChange change, DateTimeOffset eventTime, CancellationToken cancellationToken);
}

/// <summary>A customer who has (or had, until the profile is checked) an address, and when and by which instance a journey last asked them a question there.</summary>
public sealed record AddressHolder(string CustomerId, DateTimeOffset? AskedAt = null, string? AskedBy = null);

/// <summary>Which customer an outside key (a complaint id) belongs to, and which customers an address (a phone number) reaches.</summary>
public interface ICorrelationIndex
{
    const string Complaint = "complaint";

    Task PutAsync(string kind, string key, string customerId, CancellationToken cancellationToken);

    Task<string?> FindAsync(string kind, string key, CancellationToken cancellationToken);

    /// <summary>Records that an instance asked the customer a question by SMS at the address, so the reply finds them.</summary>
    Task RecordAskAsync(string address, string customerId, string instanceId, DateTimeOffset at, CancellationToken cancellationToken);
}

/// <summary>The customers who have a phone number now, each checked against their profile.</summary>
public interface IAddressHolders
{
    Task<IReadOnlyList<AddressHolder>> HoldersOfPhoneAsync(string phone, CancellationToken cancellationToken);
}

/// <summary>Every event a customer received, kept for the timeline and for instances that start after some of them.</summary>
public interface ICustomerEventLog
{
    Task AppendAsync(CustomerEvent received, CancellationToken cancellationToken);
}

/// <summary>What applying a <c>transaction.posted</c> did, as recorded on its transaction row.</summary>
/// <param name="RepeatOfAnotherEvent">The transaction was already counted under another event: nothing to route.</param>
/// <param name="FirstPayment">It is the customer's first payment.</param>
/// <param name="StatusFrom">The status it moved the customer from (to <paramref name="StatusTo"/>), when it moved it.</param>
public sealed record TransactionOutcome(bool RepeatOfAnotherEvent, bool FirstPayment, string? StatusFrom, string? StatusTo);

/// <summary>Counts each transaction into its customer's aggregates exactly once, however often or under whatever event id it arrives.</summary>
public interface ICustomerTransactions
{
    Task<TransactionOutcome> ApplyAsync(CustomerEvent e, CancellationToken cancellationToken);
}

/// <summary>A customer's standing as the pyramid reads it, and which recomputation last placed it.</summary>
/// <param name="Version">The stored row's version, which a placement is written against.</param>
/// <param name="PlacedBy">The recomputation occurrence that last changed status or tier, with what they were before.</param>
public sealed record CustomerStanding(string CustomerId, string Version, PyramidStanding Standing, string? PlacedBy, string? PreviousStatus, string? PreviousTier);

public enum PlacementOutcome
{
    Placed,

    /// <summary>The customer changed since it was read (a transaction, a profile change): place it again from what it is now.</summary>
    Changed,

    /// <summary>The customer is no longer stored.</summary>
    Gone,
}

/// <param name="Current">For <see cref="PlacementOutcome.Changed"/>: the customer as stored now, or null when it is gone since.</param>
public sealed record PlacementWrite(PlacementOutcome Outcome, CustomerStanding? Current = null);

/// <summary>Passes over every customer: the pyramid's recomputation and the schedule triggers that select customers.</summary>
public interface ICustomerScans
{
    /// <summary>Every customer's standing, measured by <paramref name="rankBy"/> as of <paramref name="now"/>.</summary>
    IAsyncEnumerable<CustomerStanding> StandingsAsync(PyramidMeasure rankBy, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Writes a placement if the customer is unchanged since <paramref name="read"/>, remembering
    /// <paramref name="placedBy"/> and what the customer was (<paramref name="fromStatus"/>, the read tier).
    /// </summary>
    Task<PlacementWrite> PlaceAsync(CustomerStanding read, PyramidPlacement placement, string placedBy, string? fromStatus, PyramidMeasure rankBy,
        DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Every customer as journeys see it (<see cref="CustomerSnapshot"/>), as of <paramref name="now"/>.</summary>
    IAsyncEnumerable<JsonObject> SnapshotsAsync(DateTimeOffset now, CancellationToken cancellationToken);
}
