namespace Retention.Core.Ports;

/// <summary>One admin change: who (the API key's name), what (method, route and target), when, its outcome, and the target's state before and after where that is cheap to know.</summary>
public sealed record AuditEntry(
    string Id,
    DateTimeOffset At,
    string Actor,
    string Method,
    string Route,
    string Path,
    string? TargetId,
    int Status,
    string? Before,
    string? After);

public sealed record AuditPage(IReadOnlyList<AuditEntry> Items, string? ContinuationToken);

/// <summary>The audit log of admin changes, read newest first a page at a time.</summary>
public interface IAuditLog
{
    Task RecordAsync(string actor, string method, string route, string path, string? targetId, int status, string? before, string? after, CancellationToken cancellationToken);

    /// <summary>One page, newest first; <paramref name="continuationToken"/> is the store's token of the previous page (null for the first).</summary>
    Task<AuditPage> ReadAsync(int pageSize, string? continuationToken, CancellationToken cancellationToken);
}
