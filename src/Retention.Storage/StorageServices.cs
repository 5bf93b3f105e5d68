using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Retention.Channels.Providers;
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
        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.Section)
            .PostConfigure<IConfiguration>((o, config) => o.ConnectionString ??= config.GetConnectionString("Storage") ?? config["AzureWebJobsStorage"])
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<StorageOptions>, StorageOptionsValidation>();
        services.AddSingleton(sp => new StorageAccount(sp.GetRequiredService<IOptions<StorageOptions>>().Value, sp.GetService<Azure.Core.Pipeline.HttpPipelinePolicy>()));

        services.AddSingleton<CustomerProfileStore>();
        services.AddSingleton<ICustomerProfiles>(sp => sp.GetRequiredService<CustomerProfileStore>());
        services.AddSingleton<CustomerEventLog>();
        services.AddSingleton<IRecentCustomerEvents>(sp => sp.GetRequiredService<CustomerEventLog>());
        services.AddSingleton<CustomerTransactions>();
        services.AddSingleton<CorrelationIndex>();
        services.AddSingleton<CustomerInstanceIndex>();
        services.AddSingleton<IInstanceIndex>(sp => sp.GetRequiredService<CustomerInstanceIndex>());
        services.AddSingleton<EnrollmentStore>();
        services.AddSingleton<JourneyCatalog>();
        services.AddSingleton<IJourneyCatalog>(sp => sp.GetRequiredService<JourneyCatalog>());
        services.AddSingleton<IPublishedDefinitions>(sp => sp.GetRequiredService<JourneyCatalog>());
        services.AddSingleton<JourneyDrafts>();
        services.AddSingleton<Reference.ReferenceDataStore>();
        services.AddSingleton<TaskStore>();
        services.AddSingleton<ITaskSink>(sp => sp.GetRequiredService<TaskStore>());
        services.AddSingleton<IngestLedger>();
        services.AddSingleton<IngestInbox>();
        services.AddSingleton<ContactLedger>();
        services.AddSingleton<MessageLog>();
        services.AddSingleton<ScheduleLedger>();
        services.AddSingleton<Reporting.FactCounterStore>();
        services.AddSingleton<IFactCounters>(sp => sp.GetRequiredService<Reporting.FactCounterStore>());
        return services;
    }

    /// <summary>The dev outbox, as the provider of each channel <paramref name="channels"/> sends to <c>dev</c>; nothing when none does.</summary>
    public static IServiceCollection AddDevOutbox(this IServiceCollection services, ChannelSelection channels)
    {
        ArgumentNullException.ThrowIfNull(channels);
        if (!channels.UsesDevOutbox)
        {
            return services;
        }
        services.AddSingleton<DevOutboxStore>();
        services.AddSingleton<DevOutboxProvider>();
        if (channels.Sms == ChannelSelection.Dev)
        {
            services.AddSingleton<ISmsProvider>(sp => sp.GetRequiredService<DevOutboxProvider>());
        }
        if (channels.Email == ChannelSelection.Dev)
        {
            services.AddSingleton<IEmailProvider>(sp => sp.GetRequiredService<DevOutboxProvider>());
        }
        return services;
    }
}
