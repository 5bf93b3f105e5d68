using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Retention.Core.Runtime;
using Retention.Journeys;

namespace Retention.Functions.Durable;

/// <summary>
/// <see cref="IJourneyInstances"/> over the Functions Durable client: the Functions host owns the task hub (host.json
/// <c>extensions.durableTask</c>), and this worker reaches it through the client of the current invocation
/// (<see cref="DurableClientScope"/>). The standalone host's counterpart is <c>DurableTaskEngine</c> over DTFx.
/// </summary>
public sealed class FunctionsJourneyInstances(DurableClientScope scope) : IJourneyInstances
{
    private static readonly OrchestrationRuntimeStatus[] AnyStatus = Enum.GetValues<OrchestrationRuntimeStatus>();

    public async Task<bool> StartAsync(string orchestration, string instanceId, object input, CancellationToken cancellationToken)
    {
        var client = scope.Current;
        // An id is used once, whatever the state of the instance that holds it (DurableTaskEngine dedupes on every status).
        // The check covers backends that ignore the dedupe statuses; the catch covers a start racing another.
        if (await client.GetInstanceAsync(instanceId, getInputsAndOutputs: false, cancellationToken) is not null)
        {
            return false;
        }
        try
        {
            await client.ScheduleNewOrchestrationInstanceAsync(orchestration, input,
                new StartOrchestrationOptions(instanceId).WithDedupeStatuses(AnyStatus), cancellationToken);
            return true;
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            if (await client.GetInstanceAsync(instanceId, getInputsAndOutputs: false, cancellationToken) is not null)
            {
                return false;
            }
            throw;
        }
    }

    public Task SignalAsync(string instanceId, JourneySignal signal, CancellationToken cancellationToken) =>
        scope.Current.RaiseEventAsync(instanceId, JourneyTasks.Signal, signal, cancellationToken);

    public async Task<JourneyInstanceInfo?> GetAsync(string instanceId, CancellationToken cancellationToken)
    {
        var metadata = await scope.Current.GetInstanceAsync(instanceId, getInputsAndOutputs: true, cancellationToken);
        return metadata is { Name: JourneyTasks.Journey } ? ToInfo(metadata) : null;
    }

    public async Task<JourneyInstancePage> QueryAsync(string? journeyId, InstanceStatus? status, int pageSize, string? continuationToken, CancellationToken cancellationToken)
    {
        var query = new OrchestrationQuery
        {
            InstanceIdPrefix = journeyId is null ? null : journeyId + ":",
            Statuses = status is { } wanted ? RuntimeStatusesOf(wanted) : null,
            PageSize = pageSize,
            FetchInputsAndOutputs = true, // the custom status is the instance's view; the input, its start while pending
        };
        var items = new List<JourneyInstanceInfo>();
        var token = continuationToken;
        // Other orchestrations (deliveries, work) and views whose status does not match are filtered here; keep paging until the page has something.
        await foreach (var page in scope.Current.GetAllInstancesAsync(query).AsPages(token, pageSize).WithCancellation(cancellationToken))
        {
            items.AddRange(page.Values.Where(m => m.Name == JourneyTasks.Journey).Select(ToInfo)
                .Where(i => status is null || i.State.Status == status));
            token = string.IsNullOrEmpty(page.ContinuationToken) ? null : page.ContinuationToken;
            if (items.Count > 0 || token is null)
            {
                break;
            }
        }
        return new JourneyInstancePage(items, token);
    }

    public async Task<bool> RestartAsync(string instanceId, HistoryEntry restarted, CancellationToken cancellationToken)
    {
        var client = scope.Current;
        var metadata = await client.GetInstanceAsync(instanceId, getInputsAndOutputs: true, cancellationToken);
        if (metadata is not { Name: JourneyTasks.Journey, RuntimeStatus: OrchestrationRuntimeStatus.Failed } || metadata.SerializedInput is not { Length: > 0 })
        {
            return false;
        }
        var failedGeneration = metadata.ReadInputAs<JourneyRun>()!;
        var history = await client.GetOrchestrationHistoryAsync(instanceId, cancellationToken);
        var signals = JourneyFailures.SignalsToRaiseAgain(history.OfType<DurableTask.Core.History.EventRaisedEvent>()
            .Where(e => e.Name == JourneyTasks.Signal && e.Input is { Length: > 0 })
            .Select(e => Microsoft.DurableTask.Converters.JsonDataConverter.Default.Deserialize<JourneySignal>(e.Input)));
        try
        {
            // A new execution under the same id, allowed only over the failed one; a concurrent restart finds it running.
            await client.ScheduleNewOrchestrationInstanceAsync(JourneyTasks.Journey, JourneyFailures.Restart(failedGeneration, restarted),
                new StartOrchestrationOptions(instanceId).WithDedupeStatuses([.. AnyStatus.Where(s => s != OrchestrationRuntimeStatus.Failed)]), cancellationToken);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            if (await client.GetInstanceAsync(instanceId, getInputsAndOutputs: false, cancellationToken) is { RuntimeStatus: not OrchestrationRuntimeStatus.Failed })
            {
                return false;
            }
            throw;
        }
        foreach (var signal in signals)
        {
            await SignalAsync(instanceId, signal, cancellationToken);
        }
        return true;
    }

    public async Task<JourneyInstancePage> QueryFailedAsync(string journeyId, int pageSize, string? continuationToken, CancellationToken cancellationToken)
    {
        var query = new OrchestrationQuery
        {
            InstanceIdPrefix = journeyId + ":",
            Statuses = [OrchestrationRuntimeStatus.Failed],
            PageSize = pageSize,
            FetchInputsAndOutputs = true,
        };
        await foreach (var page in scope.Current.GetAllInstancesAsync(query).AsPages(continuationToken, pageSize).WithCancellation(cancellationToken))
        {
            return new JourneyInstancePage([.. page.Values.Where(m => m.Name == JourneyTasks.Journey).Select(ToInfo)],
                string.IsNullOrEmpty(page.ContinuationToken) ? null : page.ContinuationToken);
        }
        return new JourneyInstancePage([], null);
    }

    public async Task<bool> PurgeAsync(string instanceId, CancellationToken cancellationToken)
    {
        var result = await scope.Current.PurgeInstanceAsync(instanceId, cancellationToken);
        return result.PurgedInstanceCount > 0;
    }

    /// <summary>The engine's runtime statuses an instance of <paramref name="status"/> can have (ours are finer: Waiting, Exited…).</summary>
    private static OrchestrationRuntimeStatus[] RuntimeStatusesOf(InstanceStatus status) => status switch
    {
        InstanceStatus.Completed or InstanceStatus.Exited or InstanceStatus.Terminated => [OrchestrationRuntimeStatus.Completed, OrchestrationRuntimeStatus.Terminated],
        InstanceStatus.Failed => [OrchestrationRuntimeStatus.Failed, OrchestrationRuntimeStatus.Completed],
        _ => [OrchestrationRuntimeStatus.Running, OrchestrationRuntimeStatus.Pending, OrchestrationRuntimeStatus.Suspended],
    };

    private static JourneyInstanceInfo ToInfo(OrchestrationMetadata metadata)
    {
        var view = JourneyInstanceRecords.ViewOf(metadata.SerializedCustomStatus,
            metadata.RuntimeStatus == OrchestrationRuntimeStatus.Completed ? metadata.SerializedOutput : null);
        return JourneyInstanceRecords.ToInfo(
            metadata.InstanceId,
            view,
            view is null && metadata.SerializedInput is { Length: > 0 } ? metadata.ReadInputAs<JourneyRun>() : null,
            hasStarted: metadata.RuntimeStatus != OrchestrationRuntimeStatus.Pending,
            metadata.RuntimeStatus == OrchestrationRuntimeStatus.Failed ? metadata.FailureDetails?.ErrorMessage ?? metadata.SerializedOutput ?? "failed" : null,
            metadata.CreatedAt,
            metadata.LastUpdatedAt);
    }
}
