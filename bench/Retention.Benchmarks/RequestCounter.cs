using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;

namespace Retention.Benchmarks;

/// <summary>The storage service a request went to, told by the port it reached.</summary>
public enum StorageService { Blob, Queue, Table }

/// <summary>The kinds of storage round trip the counter tells apart.</summary>
public enum StorageOp
{
    QueueReceive,
    QueuePut,
    QueueDelete,
    QueueUpdate,
    QueueOther,
    TableBatch,
    TablePointRead,
    TableQuery,
    TableInsert,
    TableReplaceOrUpsert,
    TableMerge,
    TableDelete,
    TableOther,
    Blob,
}

/// <summary>
/// Counts storage HTTP requests by kind and by kind and resource (table, queue or container), from their request
/// lines. <see cref="CountingProxy"/> feeds it every request that passes through, whichever client sent it.
/// </summary>
public sealed partial class RequestCounter
{
    private static readonly StorageOp[] Ops = Enum.GetValues<StorageOp>();
    private readonly long[] _counts = new long[Ops.Length];
    private readonly ConcurrentDictionary<string, StrongBox<long>> _byResource = new(StringComparer.Ordinal);

    public void Count(StorageService service, string method, string target)
    {
        var (path, query) = Split(Uri.UnescapeDataString(target));
        var op = Classify(service, method, path, query);
        Interlocked.Increment(ref _counts[(int)op]);
        var key = $"{RequestSnapshot.Name(op)} {ResourceOf(service, path)}";
        Interlocked.Increment(ref _byResource.GetOrAdd(key, _ => new StrongBox<long>()).Value);
    }

    public RequestSnapshot Snapshot() => new(
        [.. _counts.Select((_, i) => Interlocked.Read(ref _counts[i]))],
        _byResource.ToDictionary(p => p.Key, p => Interlocked.Read(ref p.Value.Value), StringComparer.Ordinal));

    private static (string Path, string Query) Split(string target)
    {
        var q = target.IndexOf('?', StringComparison.Ordinal);
        return q < 0 ? (target, "") : (target[..q], target[(q + 1)..]);
    }

    private static StorageOp Classify(StorageService service, string method, string path, string query)
    {
        switch (service)
        {
            case StorageService.Blob:
                return StorageOp.Blob;
            case StorageService.Queue when !path.Contains("/messages", StringComparison.Ordinal):
                return StorageOp.QueueOther;
            case StorageService.Queue:
                return method switch
                {
                    "GET" => query.Contains("peekonly", StringComparison.OrdinalIgnoreCase) ? StorageOp.QueueOther : StorageOp.QueueReceive,
                    "POST" => StorageOp.QueuePut,
                    "DELETE" => StorageOp.QueueDelete,
                    "PUT" => StorageOp.QueueUpdate,
                    _ => StorageOp.QueueOther,
                };
            default:
                break;
        }
        if (path.EndsWith("$batch", StringComparison.Ordinal))
        {
            return StorageOp.TableBatch;
        }
        var entity = path.Contains("PartitionKey=", StringComparison.Ordinal);
        return method switch
        {
            "GET" => entity ? StorageOp.TablePointRead : StorageOp.TableQuery,
            "POST" => path.EndsWith("/Tables", StringComparison.Ordinal) ? StorageOp.TableOther : StorageOp.TableInsert,
            "PUT" => entity ? StorageOp.TableReplaceOrUpsert : StorageOp.TableOther,
            "PATCH" or "MERGE" => StorageOp.TableMerge,
            "DELETE" => entity ? StorageOp.TableDelete : StorageOp.TableOther,
            _ => StorageOp.TableOther,
        };
    }

    /// <summary>The table, queue or container, with partition numbers folded ("…-control-*"), so a breakdown stays short.</summary>
    private static string ResourceOf(StorageService service, string path)
    {
        // /devstoreaccount1/<resource>[(keys)|()][/...]
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2)
        {
            return service.ToString().ToLowerInvariant();
        }
        var resource = parts[1];
        var paren = resource.IndexOf('(', StringComparison.Ordinal);
        if (paren >= 0)
        {
            resource = resource[..paren];
        }
        if (service == StorageService.Blob && parts.Length > 2)
        {
            resource += "/" + parts[2];
        }
        return PartitionNumber().Replace(resource, "-*");
    }

    [GeneratedRegex(@"-\d{2}\b")]
    private static partial Regex PartitionNumber();
}

/// <summary>Request counts at one moment; subtract two to get a phase's requests.</summary>
public sealed class RequestSnapshot(long[] counts, IReadOnlyDictionary<string, long> byResource)
{
    public long Total => counts.Sum();

    public long this[StorageOp op] => counts[(int)op];

    public IReadOnlyDictionary<string, long> ByResource => byResource;

    public RequestSnapshot Minus(RequestSnapshot earlier) => new(
        [.. counts.Select((c, i) => c - earlier[(StorageOp)i])],
        byResource.Select(p => (p.Key, Value: p.Value - earlier.ByResource.GetValueOrDefault(p.Key))).Where(p => p.Value != 0)
            .ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal));

    /// <summary>"table batch 1.00, queue put 0.50, ..." per unit, largest first.</summary>
    public string Breakdown(double per) =>
        string.Join(", ", Enum.GetValues<StorageOp>()
            .Where(op => this[op] > 0)
            .OrderByDescending(op => this[op])
            .Select(op => $"{Name(op)} {this[op] / per:0.00}"));

    /// <summary>"table point read benchmessages 1.00, ..." per unit, largest first.</summary>
    public string ResourceBreakdown(double per, int top = 40) =>
        string.Join(", ", byResource.Where(p => p.Value > 0).OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal)
            .Take(top).Select(p => $"{p.Key} {p.Value / per:0.##}"));

    public static string Name(StorageOp op) => op switch
    {
        StorageOp.QueueReceive => "queue receive",
        StorageOp.QueuePut => "queue put",
        StorageOp.QueueDelete => "queue delete",
        StorageOp.QueueUpdate => "queue update",
        StorageOp.QueueOther => "queue other",
        StorageOp.TableBatch => "table batch",
        StorageOp.TablePointRead => "table point read",
        StorageOp.TableQuery => "table query",
        StorageOp.TableInsert => "table insert",
        StorageOp.TableReplaceOrUpsert => "table replace/upsert",
        StorageOp.TableMerge => "table merge",
        StorageOp.TableDelete => "table delete",
        StorageOp.TableOther => "table other",
        StorageOp.Blob => "blob",
        _ => op.ToString(),
    };
}
