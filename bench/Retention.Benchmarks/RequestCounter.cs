using Azure.Core;
using Azure.Core.Pipeline;

namespace Retention.Benchmarks;

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
/// Counts every storage HTTP request (each retry too: it is registered per retry), by kind. StorageAccount adds it to
/// every client when it is registered as the <see cref="HttpPipelinePolicy"/> singleton.
/// </summary>
public sealed class RequestCounter(int blobPort) : HttpPipelineSynchronousPolicy
{
    private static readonly StorageOp[] Ops = Enum.GetValues<StorageOp>();
    private readonly long[] _counts = new long[Ops.Length];

    public override void OnSendingRequest(HttpMessage message)
    {
        Interlocked.Increment(ref _counts[(int)Classify(message.Request)]);
    }

    public RequestSnapshot Snapshot()
    {
        var copy = new long[_counts.Length];
        for (var i = 0; i < copy.Length; i++)
        {
            copy[i] = Interlocked.Read(ref _counts[i]);
        }
        return new RequestSnapshot(copy);
    }

    private StorageOp Classify(Request request)
    {
        var uri = request.Uri;
        var port = uri.Port;
        var path = uri.Path;
        var method = request.Method;
        if (port == blobPort)
        {
            return StorageOp.Blob;
        }
        if (port == blobPort + 1)
        {
            if (!path.Contains("/messages", StringComparison.Ordinal))
            {
                return StorageOp.QueueOther;
            }
            if (method == RequestMethod.Get)
            {
                return uri.Query.Contains("peekonly", StringComparison.OrdinalIgnoreCase) ? StorageOp.QueueOther : StorageOp.QueueReceive;
            }
            if (method == RequestMethod.Post)
            {
                return StorageOp.QueuePut;
            }
            if (method == RequestMethod.Delete)
            {
                return StorageOp.QueueDelete;
            }
            return method == RequestMethod.Put ? StorageOp.QueueUpdate : StorageOp.QueueOther;
        }
        if (path.EndsWith("$batch", StringComparison.Ordinal))
        {
            return StorageOp.TableBatch;
        }
        var entity = path.Contains("PartitionKey=", StringComparison.Ordinal);
        if (method == RequestMethod.Get)
        {
            return entity ? StorageOp.TablePointRead : StorageOp.TableQuery;
        }
        if (method == RequestMethod.Post)
        {
            return path.EndsWith("/Tables", StringComparison.Ordinal) ? StorageOp.TableOther : StorageOp.TableInsert;
        }
        if (method == RequestMethod.Put)
        {
            return entity ? StorageOp.TableReplaceOrUpsert : StorageOp.TableOther;
        }
        if (method == RequestMethod.Patch)
        {
            return StorageOp.TableMerge;
        }
        return method == RequestMethod.Delete ? StorageOp.TableDelete : StorageOp.TableOther;
    }
}

/// <summary>Request counts at one moment; subtract two to get a phase's requests.</summary>
public sealed class RequestSnapshot(long[] counts)
{
    private readonly long[] _counts = counts;

    public long Total => _counts.Sum();

    public long this[StorageOp op] => _counts[(int)op];

    public RequestSnapshot Minus(RequestSnapshot earlier) => new(_counts.Select((c, i) => c - earlier._counts[i]).ToArray());

    /// <summary>"table batch 1.00, queue put 0.50, ..." per unit, largest first.</summary>
    public string Breakdown(double per, int top = 14) =>
        string.Join(", ", Enum.GetValues<StorageOp>()
            .Where(op => this[op] > 0)
            .OrderByDescending(op => this[op])
            .Take(top)
            .Select(op => $"{Name(op)} {this[op] / per:0.00}"));

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
