using System.Diagnostics;
using Azure;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;

namespace Retention.Benchmarks;

public sealed record BareResult(int Transitions, TimeSpan Elapsed, long[] Stamps);

/// <summary>
/// The storage limit for the engine's work: the same storage operations per transition, with no engine around them,
/// on tables and a queue of its own, received in batches of 16 and processed with the poller's concurrency
/// (a new batch once no more than 8 are in flight). A transition is:
/// receive (batched) → point read of the state entity → entity-group transaction (UpdateReplace with If-Match + the
/// engine's three history rows) → dev outbox AddEntity → queue SendMessage with visibility 0 (the next transition; the
/// engine's timer) on the first of two transitions → merge update clearing Outbox (If-Match) → delete the message.
/// </summary>
public sealed class BareLoop
{
    private const int BatchSize = 16;
    private const int NewBatchThreshold = 8;

    private readonly TableClient _instances;
    private readonly TableClient _outbox;
    private readonly QueueClient _queue;
    private readonly IReadOnlyDictionary<string, object> _template;
    private readonly string _outboxJson;
    private int _done;

    /// <param name="template">The properties of a real state entity, so the rows are the engine's size.</param>
    public BareLoop(string connectionString, HttpPipelinePolicy counter, IReadOnlyDictionary<string, object> template, int outboxChars)
    {
        var tableOptions = new TableClientOptions();
        tableOptions.AddPolicy(counter, Azure.Core.HttpPipelinePosition.PerRetry);
        var queueOptions = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 };
        queueOptions.AddPolicy(counter, Azure.Core.HttpPipelinePosition.PerRetry);
        _instances = new TableServiceClient(connectionString, tableOptions).GetTableClient("bareinstances");
        _outbox = new TableServiceClient(connectionString, tableOptions).GetTableClient("baredevoutbox");
        _queue = new QueueServiceClient(connectionString, queueOptions).GetQueueClient("bare-work");
        _template = template;
        _outboxJson = new string('x', Math.Max(outboxChars, 1));
    }

    /// <summary>Creates the entities and the first message of each (not timed).</summary>
    public async Task PrepareAsync(int instances, int concurrency, CancellationToken cancellationToken)
    {
        await _instances.CreateIfNotExistsAsync(cancellationToken);
        await _outbox.CreateIfNotExistsAsync(cancellationToken);
        await _queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await Parallel.ForEachAsync(Enumerable.Range(0, instances), new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                var entity = Entity(Key(i), "");
                await _instances.AddEntityAsync(entity, ct);
                await _queue.SendMessageAsync($"{Key(i)}|1", TimeSpan.Zero, TimeSpan.FromSeconds(-1), ct);
            });
    }

    /// <summary>Runs two transitions per instance, as the engine's journey has two timers, and times them.</summary>
    public async Task<BareResult> RunAsync(int instances, CancellationToken cancellationToken)
    {
        var total = instances * 2;
        var stamps = new System.Collections.Concurrent.ConcurrentQueue<long>();
        var inFlight = new HashSet<Task>();
        var idle = TimeSpan.FromMilliseconds(50);
        var watch = Stopwatch.StartNew();
        while (Volatile.Read(ref _done) < total)
        {
            cancellationToken.ThrowIfCancellationRequested();
            inFlight.RemoveWhere(t => t.IsCompleted);
            if (inFlight.Count > NewBatchThreshold)
            {
                await Task.WhenAny(inFlight);
                continue;
            }
            var batch = (await _queue.ReceiveMessagesAsync(BatchSize, TimeSpan.FromMinutes(5), cancellationToken)).Value;
            foreach (var message in batch)
            {
                inFlight.Add(Task.Run(() => TransitionAsync(message, stamps, cancellationToken), CancellationToken.None));
            }
            if (batch.Length == 0)
            {
                await Task.WhenAny(Task.Delay(idle, cancellationToken), inFlight.Count > 0 ? Task.WhenAny(inFlight) : Task.Delay(idle, cancellationToken));
            }
        }
        await Task.WhenAll(inFlight);
        watch.Stop();
        return new BareResult(total, watch.Elapsed, [.. stamps]);
    }

    private async Task TransitionAsync(QueueMessage message, System.Collections.Concurrent.ConcurrentQueue<long> stamps, CancellationToken cancellationToken)
    {
        var parts = message.Body.ToString().Split('|');
        var key = parts[0];
        var leg = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
        var stored = (await _instances.GetEntityAsync<TableEntity>(key, "state", cancellationToken: cancellationToken)).Value;
        var now = DateTimeOffset.UtcNow;
        var updated = Entity(key, _outboxJson);
        updated["UpdatedAt"] = now;
        var actions = new List<TableTransactionAction> { new(TableTransactionActionType.UpdateReplace, updated, stored.ETag) };
        var firstSeq = 2 + ((leg - 1) * 3);
        string[] kinds = ["timer-fired", "send", leg == 1 ? "waiting" : "completed"];
        for (var i = 0; i < kinds.Length; i++)
        {
            actions.Add(new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(key, $"h{firstSeq + i:D8}")
            {
                ["At"] = now,
                ["Kind"] = kinds[i],
                ["StepId"] = $"step-{leg}",
                ["Detail"] = $"due {now:O}",
            }));
        }
        var committed = await _instances.SubmitTransactionAsync(actions, cancellationToken);
        var etag = committed.Value[0].Headers.ETag ?? ETag.All;
        await _outbox.AddEntityAsync(new TableEntity("outbox", $"{key}-{leg}")
        {
            ["Id"] = $"{key}/send/{leg}",
            ["Channel"] = "sms",
            ["To"] = "+8613800138000",
            ["Body"] = "Hi Bench Customer, this is message number " + leg + " of the benchmark journey.",
            ["JourneyId"] = "bench-timers",
            ["InstanceId"] = key,
            ["StepId"] = $"send-{leg}",
            ["CustomerId"] = key,
            ["SentAt"] = now,
        }, cancellationToken);
        if (leg == 1)
        {
            await _queue.SendMessageAsync($"{key}|2", TimeSpan.Zero, TimeSpan.FromSeconds(-1), cancellationToken);
        }
        await _instances.UpdateEntityAsync(new TableEntity(key, "state") { ["Outbox"] = "" }, etag, TableUpdateMode.Merge, cancellationToken);
        await _queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken);
        stamps.Enqueue(Stopwatch.GetTimestamp());
        Interlocked.Increment(ref _done);
    }

    private static string Key(int i) => $"bare-{i:D7}";

    private TableEntity Entity(string key, string outbox)
    {
        var entity = new TableEntity(key, "state");
        foreach (var (name, value) in _template)
        {
            entity[name] = value;
        }
        entity["InstanceId"] = key;
        entity["Outbox"] = outbox;
        return entity;
    }
}
