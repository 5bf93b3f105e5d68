using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Retention.Core.Definitions;
using Retention.Core.Ports;
using Retention.Journeys;
using Retention.Storage.Contacts;
using Retention.Storage.Customers;
using Retention.Storage.DevOutbox;
using Retention.Storage.Ingest;
using Retention.Storage.Journeys;
using Retention.Storage.Messages;
using Retention.Storage.Routing;
using Retention.Storage.Scheduling;
using Retention.Storage.Tasks;

namespace Retention.Storage;

/// <summary>The storage adapters: the account and each store over it; both hosts compose them.</summary>
public static class StorageServices
{
    /// <summary>
    /// The storage account (<c>Retention:Storage</c>, else <c>ConnectionStrings:Storage</c>, else the Functions host's
    /// <c>AzureWebJobsStorage</c>) and every table and blob store: customers, the routing indexes, the journey catalog
    /// and drafts, tasks, the ingest inbox and ledger, the contact ledger, the message log and the schedule ledger.
    /// </summary>
    public static IServiceCollection AddRetentionStorage(this IServiceCollection services)
    {
        services.AddOptions<HostStorageConnections>().Configure<IConfiguration>((o, configuration) => configuration.Bind(o));
        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.Section)
            .PostConfigure<IOptions<HostStorageConnections>>((o, host) => o.ConnectionString ??= host.Value.ConnectionString)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<StorageOptions>, StorageOptionsValidation>();
        services.AddSingleton(sp => new StorageAccount(sp.GetRequiredService<IOptions<StorageOptions>>().Value, sp.GetService<Azure.Core.Pipeline.HttpPipelinePolicy>()));

        Port<ICustomerProfiles, CustomerProfileStore>(services);
        services.AddSingleton<ICustomerProfileChanges>(sp => sp.GetRequiredService<CustomerProfileStore>());
        services.AddSingleton<IAddressHolders>(sp => sp.GetRequiredService<CustomerProfileStore>());
        Port<IRecentCustomerEvents, CustomerEventLog>(services);
        services.AddSingleton<ICustomerEventLog>(sp => sp.GetRequiredService<CustomerEventLog>());
        Port<ICustomerTransactions, CustomerTransactions>(services);
        Port<ICustomerScans, CustomerScans>(services);
        Port<ICorrelationIndex, CorrelationIndex>(services);
        Port<IInstanceIndex, CustomerInstanceIndex>(services);
        services.AddSingleton<ICustomerInstanceIndex>(sp => sp.GetRequiredService<CustomerInstanceIndex>());
        Port<IEnrollments, EnrollmentStore>(services);
        Port<IJourneyCatalog, JourneyCatalog>(services);
        services.AddSingleton<IJourneyVersions>(sp => sp.GetRequiredService<JourneyCatalog>());
        services.AddSingleton<IPublishedDefinitions>(sp => sp.GetRequiredService<JourneyCatalog>());
        Port<IJourneyDrafts, JourneyDrafts>(services);
        services.AddSingleton<Reference.ReferenceDataStore>();
        Port<ITaskSink, TaskStore>(services);
        Port<IIngestLedger, IngestLedger>(services);
        Port<IIngestInbox, IngestInbox>(services);
        Port<ICustomerImportStore, CustomerImportStore>(services);
        Port<IContactLedger, ContactLedger>(services);
        Port<IMessageLog, MessageLog>(services);
        Port<IScheduleLedger, ScheduleLedger>(services);
        Port<IFactCounters, Reporting.FactCounterStore>(services);
        Port<IAuditLog, Audit.AuditLogStore>(services);
        services.AddSingleton<IStorageOutages, StorageOutages>();
        return services;
    }

    /// <summary>One store, reachable both as itself (the API's reads) and as the port it implements.</summary>
    private static void Port<TPort, TStore>(IServiceCollection services)
        where TPort : class
        where TStore : class, TPort
    {
        services.AddSingleton<TStore>();
        services.AddSingleton<TPort>(sp => sp.GetRequiredService<TStore>());
    }

    /// <summary>The dev outbox, as the provider of each of <paramref name="channels"/> (those configured <c>dev</c>); nothing when there are none.</summary>
    public static IServiceCollection AddDevOutbox(this IServiceCollection services, IReadOnlyCollection<MessageChannel> channels)
    {
        ArgumentNullException.ThrowIfNull(channels);
        if (channels.Count == 0)
        {
            return services;
        }
        services.AddSingleton<DevOutboxStore>();
        services.AddSingleton<DevOutboxProvider>();
        if (channels.Contains(MessageChannel.Sms))
        {
            services.AddSingleton<ISmsProvider>(sp => sp.GetRequiredService<DevOutboxProvider>());
        }
        if (channels.Contains(MessageChannel.Email))
        {
            services.AddSingleton<IEmailProvider>(sp => sp.GetRequiredService<DevOutboxProvider>());
        }
        return services;
    }
}
