using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Blobs;

namespace Retention.Storage;

public sealed class StorageOptions
{
    public const string Section = "Retention:Storage";

    /// <summary>Azurite's well-known development account, used when no connection string is configured.</summary>
    public const string DevelopmentConnectionString =
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;";

    public string? ConnectionString { get; set; }

    /// <summary>
    /// The account name, for managed identity in Azure's public cloud: the endpoints are
    /// <c>https://&lt;name&gt;.{table,queue,blob}.core.windows.net</c>. Used only when no connection string is set.
    /// </summary>
    public string? AccountName { get; set; }

    /// <summary>Explicit service endpoints for managed identity (other clouds, private endpoints); each overrides the one derived from <see cref="AccountName"/>.</summary>
    public Uri? TableEndpoint { get; set; }

    public Uri? QueueEndpoint { get; set; }

    public Uri? BlobEndpoint { get; set; }

    /// <summary>Prefixes every table, queue and container name, so tests and tenants can share one account.</summary>
    public string Prefix { get; set; } = "";

    /// <summary>The connection string a client without identity uses: the configured one, else the emulator's.</summary>
    public string EffectiveConnectionString => ConnectionString is { Length: > 0 } configured ? configured : DevelopmentConnectionString;

    /// <summary>True when the account is reached with a token credential (managed identity) rather than a connection string.</summary>
    public bool UsesIdentity =>
        ConnectionString is not { Length: > 0 } && (AccountName is { Length: > 0 } || TableEndpoint is not null || QueueEndpoint is not null || BlobEndpoint is not null);

    /// <summary>The service endpoints for identity-based access; throws when one can be neither read nor derived.</summary>
    public (Uri Table, Uri Queue, Uri Blob) IdentityEndpoints()
    {
        Uri Derive(Uri? configured, string service, string key) =>
            configured ?? (AccountName is { Length: > 0 } name
                ? new Uri($"https://{name}.{service}.core.windows.net/")
                : throw new InvalidOperationException($"Retention:Storage:{key} is not set and there is no Retention:Storage:AccountName to derive it from."));
        return (Derive(TableEndpoint, "table", nameof(TableEndpoint)), Derive(QueueEndpoint, "queue", nameof(QueueEndpoint)), Derive(BlobEndpoint, "blob", nameof(BlobEndpoint)));
    }
}

/// <summary>
/// The storage connection strings a host carries besides <c>Retention:Storage</c>, bound from the configuration's root:
/// <c>ConnectionStrings:Storage</c>, else the Functions host's own <c>AzureWebJobsStorage</c>.
/// </summary>
public sealed class HostStorageConnections
{
    public Dictionary<string, string> ConnectionStrings { get; } = new(StringComparer.OrdinalIgnoreCase);

    public string? AzureWebJobsStorage { get; set; }

    public string? ConnectionString => ConnectionStrings.GetValueOrDefault("Storage") ?? AzureWebJobsStorage;
}

/// <summary>The tables and containers Retention uses, created once at start (the engine creates its own task hub).</summary>
public sealed class StorageAccount
{
    /// <param name="observer">An extra pipeline policy on every client, e.g. to count storage round trips.</param>
    /// <param name="credential">
    /// The token credential for identity-based access (<see cref="StorageOptions.UsesIdentity"/>); defaults to
    /// <see cref="DefaultAzureCredential"/>, which is the managed identity in Azure.
    /// </param>
    public StorageAccount(StorageOptions options, HttpPipelinePolicy? observer = null, TokenCredential? credential = null)
    {
        Prefix = options.Prefix.ToLowerInvariant();
        var tableOptions = new TableClientOptions();
        var blobOptions = new BlobClientOptions();
        if (observer is not null)
        {
            tableOptions.AddPolicy(observer, HttpPipelinePosition.PerRetry);
            blobOptions.AddPolicy(observer, HttpPipelinePosition.PerRetry);
        }
        if (options.UsesIdentity)
        {
            var (table, _, blob) = options.IdentityEndpoints();
            credential ??= new DefaultAzureCredential();
            Tables = new TableServiceClient(table, credential, tableOptions);
            Blobs = new BlobServiceClient(blob, credential, blobOptions);
        }
        else
        {
            Tables = new TableServiceClient(options.EffectiveConnectionString, tableOptions);
            Blobs = new BlobServiceClient(options.EffectiveConnectionString, blobOptions);
        }
    }

    public string Prefix { get; }
    public TableServiceClient Tables { get; }
    public BlobServiceClient Blobs { get; }

    public TableClient Table(string name) => Tables.GetTableClient(Prefix + name);

    public BlobContainerClient Container(string name) => Blobs.GetBlobContainerClient(Prefix + name);

    public static readonly string[] TableNames =
        ["custinstances", "enrollments", "customers", "customerevents", "lookups", "ingested", "journeys", "tasks", "devoutbox", "messages", "contacts", "schedules", "inbox", "referencedata", "addresses", "suppressions", "counters", "imports"];

    public async Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        await Task.WhenAll(TableNames.Select(t => Table(t).CreateIfNotExistsAsync(cancellationToken)));
        await Container("journeys").CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await Container("referencedata").CreateIfNotExistsAsync(cancellationToken: cancellationToken);
    }

    /// <summary>True when the table service answers before <paramref name="deadline"/> is cancelled: the health check.</summary>
    public async Task<bool> IsReachableAsync(CancellationToken deadline)
    {
        try
        {
            await Table("journeys").GetAccessPoliciesAsync(deadline);
            return true;
        }
        catch (Exception e) when (StorageFailures.IsOutage(e, CancellationToken.None)) // the deadline passing is storage not answering in time
        {
            return false;
        }
    }
}
