using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;

namespace Retention.Storage;

public sealed class StorageOptions
{
    /// <summary>Azurite's well-known development account, used when no connection string is configured.</summary>
    public const string DevelopmentConnectionString =
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;";

    public string? ConnectionString { get; set; }

    /// <summary>Prefixes every table, queue and container name, so tests and tenants can share one account.</summary>
    public string Prefix { get; set; } = "";
}

/// <summary>The tables, queues and containers Retention uses, created once at start.</summary>
public sealed class StorageAccount
{
    public const string WorkQueueName = "journey-work";

    /// <param name="observer">An extra pipeline policy on every client, e.g. to count storage round trips.</param>
    public StorageAccount(StorageOptions options, HttpPipelinePolicy? observer = null)
    {
        var connection = options.ConnectionString ?? StorageOptions.DevelopmentConnectionString;
        Prefix = options.Prefix.ToLowerInvariant();
        var tableOptions = new TableClientOptions();
        var queueOptions = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 };
        var blobOptions = new BlobClientOptions();
        if (observer is not null)
        {
            tableOptions.AddPolicy(observer, HttpPipelinePosition.PerRetry);
            queueOptions.AddPolicy(observer, HttpPipelinePosition.PerRetry);
            blobOptions.AddPolicy(observer, HttpPipelinePosition.PerRetry);
        }
        Tables = new TableServiceClient(connection, tableOptions);
        Queues = new QueueServiceClient(connection, queueOptions);
        Blobs = new BlobServiceClient(connection, blobOptions);
    }

    public string Prefix { get; }
    public TableServiceClient Tables { get; }
    public QueueServiceClient Queues { get; }
    public BlobServiceClient Blobs { get; }

    public TableClient Table(string name) => Tables.GetTableClient(Prefix + name);

    public QueueClient Queue(string name) => Queues.GetQueueClient(Prefix + name);

    public BlobContainerClient Container(string name) => Blobs.GetBlobContainerClient(Prefix + name);

    public static readonly string[] TableNames =
        ["instances", "custinstances", "enrollments", "customers", "customerevents", "lookups", "ingested", "journeys", "tasks", "devoutbox"];

    public async Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        await Task.WhenAll(TableNames.Select(t => Table(t).CreateIfNotExistsAsync(cancellationToken)));
        await Queue(WorkQueueName).CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await Queue(WorkQueueName + "-poison").CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await Container("journeys").CreateIfNotExistsAsync(cancellationToken: cancellationToken);
    }

    /// <summary>True when the table service answers: the health check.</summary>
    public async Task<bool> IsReachableAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Table("instances").GetAccessPoliciesAsync(cancellationToken);
            return true;
        }
        catch (Exception e) when (e is Azure.RequestFailedException or HttpRequestException or TaskCanceledException or AggregateException)
        {
            return false;
        }
    }
}
