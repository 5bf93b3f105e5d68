using Retention.Core.Events;

namespace Retention.Core.Ports;

/// <summary>What a signature's use is: its first, an identical redelivery (same body), or a reuse over another body.</summary>
public enum SignatureUse
{
    First,
    Redelivery,
    Reused,
}

/// <summary>A verified webhook signature, remembered until its timestamp leaves the tolerance window.</summary>
public sealed record AcceptedSignature(string Source, long Timestamp, string Hmac, string BodyHash, DateTimeOffset ExpiresAt);

/// <summary>One accepted request waiting in the inbox: its events in request order, and how its processing went so far.</summary>
public sealed record InboxRequest(string Key, DateTimeOffset AcceptedAt, int Attempts, DateTimeOffset? NotBefore, IReadOnlyList<CustomerEvent> Events);

/// <summary>The inbox's size: what is accepted and not yet applied.</summary>
public sealed record InboxBacklog(int Requests, int Events, DateTimeOffset? OldestAcceptedAt, bool Capped)
{
    public static readonly InboxBacklog Empty = new(0, 0, null, false);

    public TimeSpan Age(DateTimeOffset now) => OldestAcceptedAt is { } oldest && now > oldest ? now - oldest : TimeSpan.Zero;
}

/// <summary>Thrown when a request's events do not fit one inbox row even compressed (a pathological body near the size limit).</summary>
public sealed class InboxRowTooLargeException(int bytes, int limit) : Exception($"The request's events take {bytes} bytes compressed; an inbox row holds {limit}.");

/// <summary>
/// Where accepted webhook requests wait to be applied: a request is accepted wholly with its signature remembered, or
/// not at all, and read back in acceptance order. One drain at a time holds its lease.
/// </summary>
public interface IIngestInbox
{
    /// <summary>
    /// Accepts a request: its events, if any are new, and its signature, at once. A signature seen before is answered
    /// by comparing bodies (a redelivery or a reuse), and nothing is written.
    /// </summary>
    /// <exception cref="InboxRowTooLargeException">The events do not fit one request's row.</exception>
    Task<SignatureUse> AcceptAsync(IReadOnlyList<CustomerEvent> events, AcceptedSignature? signature, CancellationToken cancellationToken);

    /// <summary>The oldest waiting requests, in acceptance order.</summary>
    Task<IReadOnlyList<InboxRequest>> ReadPendingAsync(int take, CancellationToken cancellationToken);

    Task CompleteAsync(IReadOnlyCollection<string> keys, CancellationToken cancellationToken);

    Task DeferAsync(string key, int attempts, DateTimeOffset notBefore, string error, CancellationToken cancellationToken);

    /// <summary>Sets the <paramref name="failed"/> events aside and keeps the <paramref name="remaining"/> ones waiting.</summary>
    Task PoisonAsync(InboxRequest request, IReadOnlyList<int> failed, IReadOnlyList<int> remaining, int attempts, string error, CancellationToken cancellationToken);

    Task<bool> TryLeaseAsync(string owner, TimeSpan duration, CancellationToken cancellationToken);

    Task ReleaseLeaseAsync(string owner, CancellationToken cancellationToken);
}

/// <summary>Which events (by source and id) were applied: what makes a redelivered event a duplicate.</summary>
public interface IIngestLedger
{
    Task<bool> SeenAsync(string source, string id, CancellationToken cancellationToken);

    Task RecordAsync(string source, string id, string type, DateTimeOffset acceptedAt, CancellationToken cancellationToken);
}

/// <summary>
/// Tells a storage outage (storage down, busy or unreachable, which waiting mends) from a fault of the request or of
/// our code, which must not be hidden as one.
/// </summary>
public interface IStorageOutages
{
    /// <param name="callerCancellation">The caller's own token: a cancellation it asked for is not an outage.</param>
    bool IsOutage(Exception exception, CancellationToken callerCancellation);

    /// <summary>The store said it is too busy (429 or 503): back-pressure to slow down for, not a failure.</summary>
    bool IsBusy(Exception exception);
}
