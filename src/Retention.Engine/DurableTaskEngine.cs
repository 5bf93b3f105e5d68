using System.Text.Json;
using System.Text.Json.Nodes;
using Azure;
using Azure.Core;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using DurableTask.AzureStorage;
using DurableTask.AzureStorage.Tracking;
using DurableTask.Core;
using DurableTask.Core.Exceptions;
using DurableTask.Core.History;
using DurableTask.Core.Middleware;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Converters;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Shims;
using Microsoft.Extensions.Logging;
using Retention.Core.Runtime;
using Retention.Journeys;
using Retention.Storage;

namespace Retention.Engine;

/// <summary>
/// The standalone host's engine: DTFx's Azure Storage backend (the one Durable Functions runs on), a
/// <see cref="TaskHubWorker"/> running our orchestrators and activities through the Durable Task shims, and the
/// client side of <see cref="IJourneyInstances"/> over the same task hub.
/// </summary>
public sealed class DurableTaskEngine : IJourneyInstances, IJourneyWorker, IAsyncDisposable
{
    private static readonly OrchestrationStatus[] AnyStatus = Enum.GetValues<OrchestrationStatus>();

    private readonly AzureStorageOrchestrationService _service;
    private readonly TaskHubClient _client;
    private readonly DurableTaskSettings _settings;
    private readonly IServiceProvider _services;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly TableClient _partitions;
    private readonly JourneyDefinitions _definitions;
    private TaskHubWorker? _worker;
    private volatile bool _ownedPartitions;

    /// <param name="storage">The service's storage settings: their prefix names the task hub.</param>
    /// <param name="engineStorage">The task hub's account: its own, or the service's.</param>
    /// <param name="tables">The service's tables, where the task hub shares the service's account.</param>
    public DurableTaskEngine(StorageOptions storage, EngineStorage engineStorage, DurableTaskSettings settings, TableServiceClient tables, JourneyDefinitions definitions,
        IServiceProvider services, ILoggerFactory loggers)
    {
        _definitions = definitions;
        _settings = settings;
        _services = services;
        _loggers = loggers;
        _logger = loggers.CreateLogger<DurableTaskEngine>();
        TaskHubName = settings.TaskHubFor(storage.Prefix);
        // Two processes on one machine must not share a lease owner.
        WorkerId = WorkerIdentity();
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(engineStorage);
        _service = new AzureStorageOrchestrationService(DurableTaskServiceSettings.For(settings, TaskHubName, engineStorage.ClientProvider(settings), WorkerId, loggers));
        _client = new TaskHubClient(_service, new ShimJsonDataConverter(), loggers);
        // DTFx's table partition manager (its default since 2.0) keeps one lease row per control queue here.
        _partitions = engineStorage.Tables(tables).GetTableClient(TaskHubName + "Partitions");
    }

    public string TaskHubName { get; }

    /// <summary>This process's lease owner name in the task hub's partition table.</summary>
    public string WorkerId { get; }

    private static string WorkerIdentity()
    {
        var id = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}";
        return id.Length > 60 ? id[^60..] : id;
    }

    /// <summary>Where the worker stands, for the health check: <see cref="IsRunning"/> once it also processes orchestrations.</summary>
    public WorkerState State => _worker is null ? WorkerState.Stopped : _ownedPartitions ? WorkerState.Running : WorkerState.Starting;

    public bool IsRunning => State == WorkerState.Running;

    /// <summary>
    /// Reads the partition leases and returns how many this worker owns, null when the table cannot be read. The
    /// worker counts as running from the first time it owns its share of the partitions (all of them when it is alone;
    /// none when more workers than partitions leave it nothing to own): until then, work sent to this task hub may sit in
    /// control queues nobody listens to, as after a restart while the previous process's leases had not yet lapsed.
    /// </summary>
    public async Task<int?> ObservePartitionsAsync(CancellationToken cancellationToken)
    {
        List<(string? Owner, DateTimeOffset? ExpiresAt)> leases = [];
        try
        {
            await foreach (var lease in _partitions.QueryAsync<TableEntity>(select: ["CurrentOwner", "ExpiresAt"], cancellationToken: cancellationToken))
            {
                leases.Add((lease.GetString("CurrentOwner"), lease.GetDateTimeOffset("ExpiresAt")));
            }
        }
        catch (Exception e) when (StorageFailures.IsOutage(e, CancellationToken.None) || e is RequestFailedException { Status: 404 })
        {
            return null; // storage is down (health says so), or the table does not exist yet (the worker is starting)
        }
        var owned = leases.Count(l => l.Owner == WorkerId);
        if (_worker is not null && !_ownedPartitions)
        {
            var now = TimeProvider.System.GetUtcNow(); // DTFx writes lease expiries by the real clock
            var workers = 1 + leases.Where(l => l.Owner is { Length: > 0 } owner && owner != WorkerId && l.ExpiresAt > now).Select(l => l.Owner).Distinct().Count();
            // DTFx balances the partitions evenly between the workers it sees: this one is ready once it has its share.
            _ownedPartitions = leases.Count > 0 && owned >= leases.Count / workers;
        }
        return owned;
    }

    /// <summary>Creates the task hub's queues, tables and containers if they are missing.</summary>
    public Task EnsureTaskHubAsync() => _service.CreateIfNotExistsAsync();

    public async Task StartWorkerAsync(CancellationToken cancellationToken)
    {
        await EnsureTaskHubAsync();
        var shims = new DurableTaskShimFactory(new DurableTaskWorkerOptions { MaximumTimerInterval = _settings.MaximumTimerInterval },
            new MessageWithholdingLoggerFactory(_loggers));
        var worker = new TaskHubWorker(new ActivityAbandonRetry(_service, _logger), _loggers);
        worker.AddTaskOrchestrations([.. JourneyTaskRegistry.Orchestrators.Select(o =>
            (ObjectCreator<TaskOrchestration>)new NamedObjectCreator<TaskOrchestration>(o.Key, () => shims.CreateOrchestration(new TaskName(o.Key), o.Value(_services), parent: null)))]);
        worker.AddTaskActivities([.. JourneyTaskRegistry.Activities.Select(a =>
            (ObjectCreator<TaskActivity>)new NamedObjectCreator<TaskActivity>(a.Key, () => shims.CreateActivity(new TaskName(a.Key), a.Value(_services))))]);
        worker.ErrorPropagationMode = ErrorPropagationMode.UseFailureDetails;
        worker.AddOrchestrationDispatcherMiddleware(ReadDefinitionAheadAsync);
        await worker.StartAsync();
        _worker = worker;
    }

    /// <summary>
    /// Reads the published version a journey generation names before its episode runs, so the orchestrator finds it in
    /// this worker's cache: a read that fails abandons the episode, which DTFx retries, rather than failing the instance.
    /// </summary>
    private async Task ReadDefinitionAheadAsync(DispatchMiddlewareContext context, Func<Task> next)
    {
        if (context.GetProperty<OrchestrationRuntimeState>() is { Name: JourneyTasks.Journey, Input: { Length: > 0 } input }
            && JsonDataConverter.Default.Deserialize<JourneyRun>(input) is { } run)
        {
            await _definitions.ReadAheadAsync(run, CancellationToken.None);
        }
        await next();
    }

    /// <summary>
    /// Stops the worker gracefully: work items in flight finish and are checkpointed, and the partition leases are
    /// released, so the next process (a rolling deployment's) takes the partitions at once and nothing runs twice. Gives
    /// up waiting when <paramref name="deadline"/> is cancelled (the host's shutdown timeout): what was left then
    /// resumes elsewhere once its leases and messages time out, as after a crash.
    /// </summary>
    public async Task StopWorkerAsync(CancellationToken deadline)
    {
        if (_worker is { } worker)
        {
            _worker = null;
            _ownedPartitions = false;
            var stopping = System.Diagnostics.Stopwatch.StartNew();
            try
            {
                await worker.StopAsync(isForced: false).WaitAsync(deadline);
                Logs.WorkerStopped(_logger, stopping.Elapsed.TotalSeconds);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested)
            {
                Logs.WorkerStopTimedOut(_logger, stopping.Elapsed.TotalSeconds);
            }
        }
    }

    public async Task<bool> StartAsync(string orchestration, string instanceId, object input, CancellationToken cancellationToken)
    {
        try
        {
            await _client.CreateOrchestrationInstanceAsync(orchestration, "", instanceId, input, null, AnyStatus);
            return true;
        }
        catch (OrchestrationAlreadyExistsException)
        {
            return false;
        }
    }

    public Task SignalAsync(string instanceId, JourneySignal signal, CancellationToken cancellationToken) =>
        _client.RaiseEventAsync(new OrchestrationInstance { InstanceId = instanceId }, JourneyTasks.Signal, signal);

    public async Task<JourneyInstanceInfo?> GetAsync(string instanceId, CancellationToken cancellationToken)
    {
        var states = await _service.GetOrchestrationStateAsync(instanceId, allExecutions: false, fetchInput: false);
        if (states.FirstOrDefault() is not { Name: JourneyTasks.Journey } state)
        {
            return null;
        }
        if (state.OrchestrationStatus == OrchestrationStatus.Pending)
        {
            // Not yet run: only its start input tells whose it is.
            state = (await _service.GetOrchestrationStateAsync(instanceId, allExecutions: false, fetchInput: true)).FirstOrDefault() ?? state;
        }
        return ToInfo(state);
    }

    public async Task<JourneyInstancePage> QueryAsync(string? journeyId, InstanceStatus? status, int pageSize, string? continuationToken, CancellationToken cancellationToken)
    {
        var condition = new OrchestrationInstanceStatusQueryCondition
        {
            InstanceIdPrefix = journeyId is null ? null : journeyId + ":",
            FetchInput = false,
            FetchOutput = true,
            RuntimeStatus = status is { } wanted ? RuntimeStatusesOf(wanted) : null,
        };
        var items = new List<JourneyInstanceInfo>();
        var token = continuationToken;
        // Other orchestrations (deliveries, work) and custom statuses that do not match are filtered here; keep paging until the page has something.
        do
        {
            var result = await _service.GetOrchestrationStateAsync(condition, pageSize, token, cancellationToken);
            items.AddRange(result.OrchestrationState.Where(s => s.Name == JourneyTasks.Journey).Select(ToInfo)
                .Where(i => status is null || i.State.Status == status));
            token = string.IsNullOrEmpty(result.ContinuationToken) ? null : result.ContinuationToken;
        }
        while (items.Count == 0 && token is not null);
        return new JourneyInstancePage(items, token);
    }

    public async Task<bool> RestartAsync(string instanceId, HistoryEntry restarted, CancellationToken cancellationToken)
    {
        var state = (await _service.GetOrchestrationStateAsync(instanceId, allExecutions: false, fetchInput: true)).FirstOrDefault();
        if (state is not { Name: JourneyTasks.Journey, OrchestrationStatus: OrchestrationStatus.Failed } || string.IsNullOrEmpty(state.Input))
        {
            return false;
        }
        var failedGeneration = JsonDataConverter.Default.Deserialize<JourneyRun>(state.Input)!;
        var signals = JourneyFailures.SignalsToRaiseAgain(SignalsIn(await _service.GetOrchestrationHistoryAsync(instanceId, state.OrchestrationInstance.ExecutionId)));
        try
        {
            // A new execution under the same id, allowed only over the failed one; a concurrent restart finds it running.
            await _client.CreateOrchestrationInstanceAsync(JourneyTasks.Journey, "", instanceId, JourneyFailures.Restart(failedGeneration, restarted), null, AnyStatusBut(OrchestrationStatus.Failed));
        }
        catch (OrchestrationAlreadyExistsException)
        {
            return false;
        }
        foreach (var signal in signals)
        {
            await SignalAsync(instanceId, signal, cancellationToken);
        }
        return true;
    }

    public async Task<JourneyInstancePage> QueryFailedAsync(string journeyId, int pageSize, string? continuationToken, CancellationToken cancellationToken)
    {
        var condition = new OrchestrationInstanceStatusQueryCondition
        {
            InstanceIdPrefix = journeyId + ":",
            FetchInput = false,
            FetchOutput = true,
            RuntimeStatus = [OrchestrationStatus.Failed],
        };
        var result = await _service.GetOrchestrationStateAsync(condition, pageSize, continuationToken, cancellationToken);
        return new JourneyInstancePage([.. result.OrchestrationState.Where(s => s.Name == JourneyTasks.Journey).Select(ToInfo)],
            string.IsNullOrEmpty(result.ContinuationToken) ? null : result.ContinuationToken);
    }

    private static OrchestrationStatus[] AnyStatusBut(OrchestrationStatus status) => [.. AnyStatus.Where(s => s != status)];

    /// <summary>The signals raised to one execution, in the order it received them, from the backend's dump of its history.</summary>
    private static IEnumerable<JourneySignal?> SignalsIn(string historyJson)
    {
        if (JsonNode.Parse(historyJson) is not JsonArray events)
        {
            yield break;
        }
        foreach (var e in events.OfType<JsonObject>())
        {
            if (EventTypeOf(e) == EventType.EventRaised && e["Name"]?.GetValue<string>() == JourneyTasks.Signal && e["Input"]?.GetValue<string>() is { } input)
            {
                yield return JsonDataConverter.Default.Deserialize<JourneySignal>(input);
            }
        }
    }

    private static EventType? EventTypeOf(JsonObject e) => e["EventType"] switch
    {
        JsonValue v when v.TryGetValue<int>(out var number) => (EventType)number,
        JsonValue v when v.TryGetValue<string>(out var name) && Enum.TryParse<EventType>(name, out var parsed) => parsed,
        _ => null,
    };

    public async Task<bool> PurgeAsync(string instanceId, CancellationToken cancellationToken)
    {
        var result = await _service.PurgeInstanceHistoryAsync(instanceId);
        return result.InstancesDeleted > 0;
    }

    /// <summary>The engine's runtime statuses an instance of <paramref name="status"/> can have (ours are finer: Waiting, Exited…).</summary>
    private static OrchestrationStatus[] RuntimeStatusesOf(InstanceStatus status) => status switch
    {
        InstanceStatus.Completed or InstanceStatus.Exited or InstanceStatus.Terminated => [OrchestrationStatus.Completed, OrchestrationStatus.Terminated],
        InstanceStatus.Failed => [OrchestrationStatus.Failed, OrchestrationStatus.Completed],
        _ => [OrchestrationStatus.Running, OrchestrationStatus.Pending, OrchestrationStatus.ContinuedAsNew, OrchestrationStatus.Suspended],
    };

    private static JourneyInstanceInfo ToInfo(OrchestrationState state)
    {
        var view = JourneyInstanceRecords.ViewOf(state.Status, state.OrchestrationStatus == OrchestrationStatus.Completed ? state.Output : null);
        return JourneyInstanceRecords.ToInfo(
            state.OrchestrationInstance.InstanceId,
            view,
            view is null && !string.IsNullOrEmpty(state.Input) ? JsonDataConverter.Default.Deserialize<JourneyRun>(state.Input) : null,
            hasStarted: state.OrchestrationStatus != OrchestrationStatus.Pending,
            state.OrchestrationStatus == OrchestrationStatus.Failed ? state.FailureDetails?.ErrorMessage ?? state.Output ?? "failed" : null,
            new DateTimeOffset(DateTime.SpecifyKind(state.CreatedTime, DateTimeKind.Utc)),
            new DateTimeOffset(DateTime.SpecifyKind(state.LastUpdatedTime, DateTimeKind.Utc)));
    }

    public async ValueTask DisposeAsync()
    {
        using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            await StopWorkerAsync(deadline.Token);
        }
        _service.Dispose();
    }
}
