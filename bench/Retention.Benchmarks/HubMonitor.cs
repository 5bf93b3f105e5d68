using Azure.Data.Tables;
using DurableTask.AzureStorage;
using DurableTask.AzureStorage.Tracking;
using DurableTask.Core;

namespace Retention.Benchmarks;

/// <summary>
/// Reads a task hub's instance table straight from Azurite, not through the counting proxy, so watching for the end
/// of a phase does not add to the requests it measures. It only reads: it never starts a worker.
/// </summary>
public sealed class HubMonitor(string connectionString, string hubName) : IDisposable
{
    private static readonly OrchestrationStatus[] Unfinished = [OrchestrationStatus.Pending, OrchestrationStatus.Running, OrchestrationStatus.ContinuedAsNew];

    private readonly AzureStorageOrchestrationService _service = new(new AzureStorageOrchestrationServiceSettings
    {
        TaskHubName = hubName,
        StorageAccountClientProvider = new StorageAccountClientProvider(connectionString),
    });

    private readonly TableClient _history = new(connectionString, hubName + "History");

    /// <summary>An instance's history events by type ("TimerCreated 4, TaskScheduled 3, …"): what its episodes wrote.</summary>
    public async Task<string> HistorySummaryAsync(string instanceId, CancellationToken cancellationToken)
    {
        var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        await foreach (var row in _history.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {instanceId}"), select: ["EventType"], cancellationToken: cancellationToken))
        {
            var type = row.GetString("EventType") ?? "?";
            counts[type] = counts.GetValueOrDefault(type) + 1;
        }
        return string.Join(", ", counts.Select(p => $"{p.Key} {p.Value}"));
    }

    /// <summary>Instances whose id starts with <paramref name="prefix"/> and that have not finished (Pending, Running).</summary>
    public Task<IReadOnlyList<OrchestrationState>> UnfinishedAsync(string prefix, CancellationToken cancellationToken) =>
        ListAsync(prefix, Unfinished, cancellationToken);

    public Task<IReadOnlyList<OrchestrationState>> PendingAsync(string prefix, CancellationToken cancellationToken) =>
        ListAsync(prefix, [OrchestrationStatus.Pending], cancellationToken);

    public async Task<IReadOnlyList<OrchestrationState>> ListAsync(string? prefix, OrchestrationStatus[]? statuses, CancellationToken cancellationToken)
    {
        var condition = new OrchestrationInstanceStatusQueryCondition
        {
            InstanceIdPrefix = prefix,
            RuntimeStatus = statuses,
            FetchInput = false,
            FetchOutput = false,
        };
        var states = new List<OrchestrationState>();
        string? token = null;
        do
        {
            var page = await _service.GetOrchestrationStateAsync(condition, 1000, token, cancellationToken);
            states.AddRange(page.OrchestrationState);
            token = string.IsNullOrEmpty(page.ContinuationToken) ? null : page.ContinuationToken;
        }
        while (token is not null);
        return states;
    }

    /// <summary>Polls once a second until no instance with the prefix is unfinished, or the timeout. False on timeout.</summary>
    public async Task<bool> WaitUntilFinishedAsync(string prefix, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while ((await UnfinishedAsync(prefix, cancellationToken)).Count > 0)
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        }
        return true;
    }

    public void Dispose() => _service.Dispose();
}
