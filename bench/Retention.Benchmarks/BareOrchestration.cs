using Azure;
using Azure.Data.Tables;
using DurableTask.AzureStorage;
using DurableTask.Core;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Converters;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Shims;
using Microsoft.Extensions.Logging;
using Retention.Core.Runtime;
using Retention.Engine;
using Retention.Storage;

namespace Retention.Benchmarks;

public sealed record BareRun(string CustomerId);

public sealed record BareSend(string CustomerId, string SendKey);

/// <summary>
/// The journey's shape written directly against Microsoft.DurableTask: timer, send, timer, send. No interpreter, no
/// signal race, no custom status, no policies: the floor our orchestrator is compared with.
/// </summary>
public sealed class BareJourney : TaskOrchestrator<BareRun, string>
{
    public const string Name = "BareJourney";

    public override async Task<string> RunAsync(TaskOrchestrationContext context, BareRun input)
    {
        await context.CreateTimer(TimeSpan.FromSeconds(2), CancellationToken.None);
        await context.CallActivityAsync<bool>(BareSendActivity.Name, new BareSend(input.CustomerId, context.InstanceId + "/s1"));
        await context.CreateTimer(TimeSpan.FromSeconds(2), CancellationToken.None);
        await context.CallActivityAsync<bool>(BareSendActivity.Name, new BareSend(input.CustomerId, context.InstanceId + "/s2"));
        return "done";
    }
}

public sealed class BareSendActivity(BareSendWrites writes) : Microsoft.DurableTask.TaskActivity<BareSend, bool>
{
    public const string Name = "BareSend";

    public override Task<bool> RunAsync(TaskActivityContext context, BareSend input) => writes.SendAsync(input, CancellationToken.None);
}

/// <summary>Copies of the rows one real send wrote (message log, dev outbox, provider-id lookup), rewritten per bare send.</summary>
public sealed record SendRows(TableEntity Message, TableEntity Outbox, TableEntity Lookup);

/// <summary>
/// The storage requests of one real send (<c>ChannelSender</c> with the dev outbox, service category), on tables of
/// their own, with the same columns and sizes: read the message log row, add the outbox row, replace the message log
/// row, upsert the provider-id lookup.
/// </summary>
public sealed class BareSendWrites(TableServiceClient tables, SendRows rows)
{
    private static readonly HashSet<string> SystemColumns = new(StringComparer.Ordinal) { "PartitionKey", "RowKey", "Timestamp", "odata.etag" };

    private readonly TableClient _messages = tables.GetTableClient("baremessages");
    private readonly TableClient _outbox = tables.GetTableClient("baredevoutbox");
    private readonly TableClient _lookups = tables.GetTableClient("barelookups");
    private long _sends;

    public long Sends => Interlocked.Read(ref _sends);

    public async Task CreateTablesAsync(CancellationToken cancellationToken)
    {
        await _messages.CreateIfNotExistsAsync(cancellationToken);
        await _outbox.CreateIfNotExistsAsync(cancellationToken);
        await _lookups.CreateIfNotExistsAsync(cancellationToken);
    }

    public async Task<bool> SendAsync(BareSend send, CancellationToken cancellationToken)
    {
        var partition = KeyEncoding.Encode(send.CustomerId);
        var row = KeyEncoding.Encode(send.SendKey);
        var existing = await _messages.GetEntityIfExistsAsync<TableEntity>(partition, row, cancellationToken: cancellationToken);
        if (existing.HasValue && existing.Value!.GetString("Status") == "sent")
        {
            return false;
        }
        try
        {
            await _outbox.AddEntityAsync(Copy(rows.Outbox, "outbox", row), cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
        }
        await _messages.UpsertEntityAsync(Copy(rows.Message, partition, row), TableUpdateMode.Replace, cancellationToken);
        await _lookups.UpsertEntityAsync(Copy(rows.Lookup, "message", KeyEncoding.Encode("dev-" + send.SendKey)), TableUpdateMode.Replace, cancellationToken);
        Interlocked.Increment(ref _sends);
        return true;
    }

    private static TableEntity Copy(TableEntity template, string partition, string row)
    {
        var copy = new TableEntity(partition, row);
        foreach (var (key, value) in template.Where(p => !SystemColumns.Contains(p.Key)))
        {
            copy[key] = value;
        }
        return copy;
    }
}

/// <summary>
/// A second task hub with the host's <see cref="DurableTaskSettings"/>, running <see cref="BareJourney"/> with a
/// <see cref="TaskHubWorker"/> and the Durable Task shims exactly as <c>DurableTaskEngine.StartWorkerAsync</c> does.
/// </summary>
public sealed class BareTaskHub : IAsyncDisposable
{
    private readonly AzureStorageOrchestrationService _service;
    private readonly TaskHubClient _client;
    private readonly DurableTaskSettings _settings;
    private readonly BareSendWrites _writes;
    private readonly ILoggerFactory _loggers;
    private TaskHubWorker? _worker;

    public BareTaskHub(string connectionString, string hubName, DurableTaskSettings settings, BareSendWrites writes, ILoggerFactory loggers)
    {
        _settings = settings;
        _writes = writes;
        _loggers = loggers;
        _service = new AzureStorageOrchestrationService(DurableTaskServiceSettings.For(settings, hubName, new StorageAccountClientProvider(connectionString),
            $"bare-{Environment.ProcessId}", loggers));
        _client = new TaskHubClient(_service, new ShimJsonDataConverter(), loggers);
    }

    public async Task StartWorkerAsync()
    {
        await _service.CreateIfNotExistsAsync();
        var shims = new DurableTaskShimFactory(new DurableTaskWorkerOptions { MaximumTimerInterval = _settings.MaximumTimerInterval }, _loggers);
        var worker = new TaskHubWorker(_service, _loggers);
        worker.AddTaskOrchestrations(new NamedObjectCreator<TaskOrchestration>(BareJourney.Name,
            () => shims.CreateOrchestration(new TaskName(BareJourney.Name), new BareJourney(), parent: null)));
        worker.AddTaskActivities(new NamedObjectCreator<TaskActivity>(BareSendActivity.Name,
            () => shims.CreateActivity(new TaskName(BareSendActivity.Name), new BareSendActivity(_writes))));
        worker.ErrorPropagationMode = ErrorPropagationMode.UseFailureDetails;
        await worker.StartAsync();
        _worker = worker;
    }

    public Task StartAsync(string instanceId, BareRun input) =>
        _client.CreateOrchestrationInstanceAsync(BareJourney.Name, "", instanceId, input);

    public async ValueTask DisposeAsync()
    {
        if (_worker is { } worker)
        {
            _worker = null;
            await worker.StopAsync(isForced: true);
        }
        _service.Dispose();
    }
}
