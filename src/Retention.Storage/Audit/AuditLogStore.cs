using Azure.Data.Tables;
using Retention.Core.Ports;

namespace Retention.Storage.Audit;

/// <summary>The audit log of admin changes, in a table whose row keys sort newest first.</summary>
public sealed class AuditLogStore(StorageAccount account, TimeProvider time) : IAuditLog
{
    private const string Partition = "audit";

    private readonly TableClient _table = account.Table("auditlog");
    private volatile bool _created;
    private long _lastTicks;

    public async Task RecordAsync(string actor, string method, string route, string path, string? targetId, int status, string? before, string? after, CancellationToken cancellationToken)
    {
        await EnsureCreatedAsync(cancellationToken);
        var at = time.GetUtcNow();
        var id = $"{DateTimeOffset.MaxValue.UtcTicks - NextTicks(at.UtcTicks):D19}-{Guid.NewGuid():N}";
        await _table.AddEntityAsync(new TableEntity(Partition, id)
        {
            ["At"] = at,
            ["Actor"] = actor,
            ["Method"] = method,
            ["Route"] = route,
            ["Path"] = Clip(path),
            ["TargetId"] = targetId,
            ["Status"] = status,
            ["Before"] = before,
            ["After"] = after,
        }, cancellationToken);
    }

    public async Task<AuditPage> ReadAsync(int pageSize, string? continuationToken, CancellationToken cancellationToken)
    {
        await EnsureCreatedAsync(cancellationToken);
        var page = await _table.ReadPageAsync(TableClient.CreateQueryFilter($"PartitionKey eq {Partition}"), pageSize, continuationToken, ToEntry, cancellationToken);
        return new AuditPage(page.Items, page.ContinuationToken);
    }

    private static AuditEntry ToEntry(TableEntity e) => new(
        e.RowKey,
        e.GetDateTimeOffset("At") ?? DateTimeOffset.MinValue,
        e.GetString("Actor") ?? "",
        e.GetString("Method") ?? "",
        e.GetString("Route") ?? "",
        e.GetString("Path") ?? "",
        e.GetString("TargetId"),
        e.GetInt32("Status") ?? 0,
        e.GetString("Before"),
        e.GetString("After"));

    /// <summary>Strictly increasing within this process, so two changes in the same tick keep their order.</summary>
    private long NextTicks(long now)
    {
        while (true)
        {
            var last = Interlocked.Read(ref _lastTicks);
            var next = Math.Max(now, last + 1);
            if (Interlocked.CompareExchange(ref _lastTicks, next, last) == last)
            {
                return next;
            }
        }
    }

    private async Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        if (!_created)
        {
            await _table.CreateIfNotExistsAsync(cancellationToken);
            _created = true;
        }
    }

    private static string Clip(string text) => text.Length <= 1024 ? text : text[..1024];
}
