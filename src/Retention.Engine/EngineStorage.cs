using Azure.Core;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using DurableTask.AzureStorage;
using Microsoft.Extensions.Configuration;
using Retention.Storage;

namespace Retention.Engine;

/// <summary>
/// The storage account of the task hub. Its own when <c>extensions:durableTask:storageProvider:connectionName</c> names a
/// connection, as Durable Functions names it, so the engine's polling never queues the service's acknowledgements and
/// admin reads behind it; else the service's own account (<c>Retention:Storage</c>).
/// </summary>
public sealed class EngineStorage
{
    public const string ConnectionNameSetting = DurableTaskSettings.Section + ":storageProvider:connectionName";

    private EngineStorage(StorageOptions account, string? connectionName)
    {
        Account = account;
        ConnectionName = connectionName;
    }

    /// <summary>The account, as the service's storage settings describe one (a connection string, or endpoints for managed identity).</summary>
    public StorageOptions Account { get; }

    /// <summary>The connection setting the task hub uses, or null when it shares the service's account.</summary>
    public string? ConnectionName { get; }

    /// <summary>The task hub's account: the named connection, or <paramref name="service"/> when none is named.</summary>
    public static EngineStorage For(DurableTaskSettings settings, StorageOptions service, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(configuration);
        if (settings.StorageProvider.ConnectionName is not { Length: > 0 } name)
        {
            return new EngineStorage(service, null);
        }
        var connection = Connection(configuration, name);
        return new EngineStorage(new StorageOptions
        {
            ConnectionString = connection.Value,
            AccountName = connection["accountName"],
            TableEndpoint = Endpoint(connection["tableServiceUri"]),
            QueueEndpoint = Endpoint(connection["queueServiceUri"]),
            BlobEndpoint = Endpoint(connection["blobServiceUri"]),
        }, name);
    }

    /// <summary>
    /// The connection named <paramref name="name"/>, looked up as the Functions host does: <c>AzureWebJobs&lt;name&gt;</c>
    /// first, then <c>&lt;name&gt;</c>, each under <c>ConnectionStrings</c> before the root. Its value is a connection
    /// string; without one, its <c>accountName</c> or <c>tableServiceUri</c>, <c>queueServiceUri</c> and
    /// <c>blobServiceUri</c> (<c>&lt;name&gt;__accountName</c> as an app setting) reach the account with managed identity.
    /// </summary>
    public static IConfigurationSection Connection(IConfiguration configuration, string name)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        IConfigurationSection[] candidates =
        [
            configuration.GetSection("ConnectionStrings").GetSection("AzureWebJobs" + name),
            configuration.GetSection("AzureWebJobs" + name),
            configuration.GetSection("ConnectionStrings").GetSection(name),
            configuration.GetSection(name),
        ];
        return candidates.FirstOrDefault(c => c.Exists()) ?? candidates[^1];
    }

    /// <summary>What is wrong with the engine's connection, naming the setting and never echoing the key; checked when the host starts.</summary>
    public static IReadOnlyList<string> Errors(DurableTaskSettings settings, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.StorageProvider.ConnectionName is not { Length: > 0 } name)
        {
            return [];
        }
        var connection = Connection(configuration, name);
        if (connection.Value is { Length: > 0 } value)
        {
            return StorageOptionsValidation.Problem(value) is { } problem
                ? [$"{name} (the connection {ConnectionNameSetting} names) is not a usable storage connection string: {problem}."]
                : [];
        }
        if (connection["accountName"] is { Length: > 0 }
            || (connection["tableServiceUri"] is { Length: > 0 } && connection["queueServiceUri"] is { Length: > 0 } && connection["blobServiceUri"] is { Length: > 0 }))
        {
            return [.. new[] { "tableServiceUri", "queueServiceUri", "blobServiceUri" }
                .Where(key => connection[key] is { Length: > 0 } uri && Endpoint(uri) is null)
                .Select(key => $"{name}:{key} is not an absolute URI.")];
        }
        return [$"{ConnectionNameSetting} is '{name}', but no connection of that name is configured: set {name} (or ConnectionStrings:{name}, AzureWebJobs{name}) to a storage connection string, or {name}:accountName for managed identity."];
    }

    private static Uri? Endpoint(string? uri) => Uri.TryCreate(uri, UriKind.Absolute, out var parsed) ? parsed : null;

    /// <summary>DTFx's clients for the task hub's blobs, queues and tables; its queue clients poll an idle queue slowly and wake on this process's own puts.</summary>
    internal StorageAccountClientProvider ClientProvider(DurableTaskSettings settings)
    {
        var queueOptions = new QueueClientOptions();
        if (settings.StorageProvider.IdleQueuePollingInterval > settings.StorageProvider.MaxQueuePollingInterval)
        {
            queueOptions.AddPolicy(new IdleQueuePolling(settings.StorageProvider.IdleQueuePollingInterval, TimeProvider.System), HttpPipelinePosition.PerCall);
        }
        if (!Account.UsesIdentity)
        {
            return new StorageAccountClientProvider(StorageServiceClientProvider.ForBlob(ConnectionString), StorageServiceClientProvider.ForQueue(ConnectionString, queueOptions),
                StorageServiceClientProvider.ForTable(ConnectionString));
        }
        var (table, queue, blob) = Account.IdentityEndpoints();
        var credential = new Azure.Identity.DefaultAzureCredential();
        return new StorageAccountClientProvider(StorageServiceClientProvider.ForBlob(blob, credential), StorageServiceClientProvider.ForQueue(queue, credential, queueOptions),
            StorageServiceClientProvider.ForTable(table, credential));
    }

    /// <summary>The task hub's table service (its partition leases are read here): <paramref name="service"/>'s when it shares that account.</summary>
    internal TableServiceClient Tables(TableServiceClient service) => ConnectionName is null ? service : new StorageAccount(Account).Tables;

    private string ConnectionString => Account.EffectiveConnectionString;
}
