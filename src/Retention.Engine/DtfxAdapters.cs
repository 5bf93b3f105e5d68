using DurableTask.AzureStorage;
using DurableTask.Core;
using Microsoft.DurableTask.Converters;
using Microsoft.Extensions.Logging;

namespace Retention.Engine;

/// <summary>
/// DTFx's client serializes inputs and events as the Durable Task shims deserialize them: System.Text.Json through the
/// SDK's converter, not DTFx's Newtonsoft default.
/// </summary>
public sealed class ShimJsonDataConverter : DurableTask.Core.Serializing.DataConverter
{
    public override string? Serialize(object value) => JsonDataConverter.Default.Serialize(value);

    public override string? Serialize(object value, bool formatted) => JsonDataConverter.Default.Serialize(value);

    public override object? Deserialize(string data, Type objectType) => JsonDataConverter.Default.Deserialize(data, objectType);
}

/// <summary>Registers a shim-created orchestration or activity with a <see cref="TaskHubWorker"/> under its pinned name.</summary>
public sealed class NamedObjectCreator<T> : ObjectCreator<T>
{
    private readonly Func<T> _create;

    public NamedObjectCreator(string name, Func<T> create)
    {
        _create = create;
        Name = name;
        Version = "";
    }

    public override T Create() => _create();
}

public static class DurableTaskServiceSettings
{
    /// <summary>DTFx's Azure Storage settings for a task hub, from the <c>host.json</c> settings both hosts read.</summary>
    public static AzureStorageOrchestrationServiceSettings For(DurableTaskSettings settings, string hubName, StorageAccountClientProvider clients,
        string workerId, ILoggerFactory loggers)
    {
        var provider = settings.StorageProvider;
        return new AzureStorageOrchestrationServiceSettings
        {
            TaskHubName = hubName,
            StorageAccountClientProvider = clients,
            PartitionCount = provider.PartitionCount,
            MaxQueuePollingInterval = provider.MaxQueuePollingInterval,
            ControlQueueVisibilityTimeout = provider.ControlQueueVisibilityTimeout,
            WorkItemQueueVisibilityTimeout = provider.WorkItemQueueVisibilityTimeout,
            ControlQueueBatchSize = provider.ControlQueueBatchSize,
            MaxConcurrentTaskActivityWorkItems = settings.MaxConcurrentActivityFunctions,
            MaxConcurrentTaskOrchestrationWorkItems = settings.MaxConcurrentOrchestratorFunctions,
            WorkerId = workerId,
            LoggerFactory = loggers,
        };
    }
}
