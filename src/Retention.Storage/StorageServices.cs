using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Retention.Channels.Providers;
using Retention.Core.Contact;
using Retention.Core.Customers;
using Retention.Core.Ports;
using Retention.Core.Runtime;
using Retention.Journeys;
using Retention.Storage.Contacts;
using Retention.Storage.Customers;
using Retention.Storage.DevOutbox;
using Retention.Storage.Durable;
using Retention.Storage.Inbound;
using Retention.Storage.Ingest;
using Retention.Storage.Journeys;
using Retention.Storage.Messages;
using Retention.Storage.Routing;
using Retention.Storage.Scheduling;
using Retention.Storage.Sending;
using Retention.Storage.Tasks;

namespace Retention.Storage;

/// <summary>The storage side's features, each registered by itself; both hosts compose them.</summary>
public static class StorageServices
{
    /// <summary>
    /// The storage account (<c>Retention:Storage</c>, else <c>ConnectionStrings:Storage</c>, else the Functions host's
    /// <c>AzureWebJobsStorage</c>) and the tables the journey runtime reads and writes: customers, the routing indexes,
    /// the journey catalog and tasks.
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
        services.AddSingleton<JourneyRouter>();
        services.AddSingleton<EnrollmentStore>();
        services.AddSingleton<JourneyCatalog>();
        services.AddSingleton<IJourneyCatalog>(sp => sp.GetRequiredService<JourneyCatalog>());
        services.AddSingleton<JourneySeeder>();
        services.AddSingleton<Reference.ReferenceDataStore>();
        services.AddSingleton<TaskStore>();
        services.AddSingleton<ITaskSink>(sp => sp.GetRequiredService<TaskStore>());
        return services;
    }

    /// <summary>Accepted webhook events: the ingest ledger, the inbox they wait in and the drain that applies them (<c>Retention:Ingest</c>).</summary>
    public static IServiceCollection AddIngest(this IServiceCollection services)
    {
        services.AddSingleton<IngestLedger>();
        services.AddSingleton<EventIngestor>();
        services.AddSingleton<ICustomerEventSink>(sp => sp.GetRequiredService<EventIngestor>());
        services.AddSingleton<IngestInbox>();
        services.AddOptions<IngestDrainOptions>().BindConfiguration(IngestDrainOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<IngestDrainOptions>>(new OptionsErrorsValidation<IngestDrainOptions>(o => o.Errors()));
        services.AddSingleton<IngestDrain>();
        services.AddSingleton<IngestMetrics>();
        return services;
    }

    /// <summary>
    /// Messages both ways: the contact policy (<c>Retention:Contact</c>, checked at start) over the contact ledger, the
    /// sender and its message log, inbound SMS and delivery reports. The providers come from <see cref="ChannelServices.AddChannels"/>
    /// and <see cref="AddDevOutbox"/>.
    /// </summary>
    public static IServiceCollection AddMessaging(this IServiceCollection services)
    {
        services.AddOptions<ContactPolicyOptions>().BindConfiguration(ContactPolicyOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ContactPolicyOptions>>(new OptionsErrorsValidation<ContactPolicyOptions>(o => o.Errors()));
        services.AddSingleton(sp => new ContactPolicy(sp.GetRequiredService<IOptions<ContactPolicyOptions>>().Value,
            sp.GetRequiredService<InterpreterSettings>().DefaultTimeZone));
        services.AddSingleton<ContactLedger>();
        services.AddSingleton<MessageLog>();
        services.AddSingleton<IMessageSender, ChannelSender>();
        services.AddSingleton<InboundSmsHandler>();
        services.AddSingleton<DeliveryReportHandler>();
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

    /// <summary>
    /// The cron scheduler: journeys' schedules and the system jobs, of which the nightly customer pyramid
    /// (<c>Retention:Pyramid</c>, checked at start) is one.
    /// </summary>
    public static IServiceCollection AddScheduling(this IServiceCollection services)
    {
        services.AddOptions<PyramidSettings>().BindConfiguration(PyramidSettings.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<PyramidSettings>>(new OptionsErrorsValidation<PyramidSettings>(o => o.Errors()));
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<PyramidSettings>>().Value);
        services.AddSingleton<PyramidRecompute>();
        services.AddSingleton<ISystemJob>(sp => sp.GetRequiredService<PyramidRecompute>()); // job kinds: add more ISystemJob registrations
        services.AddSingleton<SystemJobs>();
        services.AddSingleton<ScheduleLedger>();
        services.AddSingleton<ScheduledJourneyStarter>();
        services.AddSingleton<Scheduler>();
        services.AddSingleton<IScheduledWorkRunner, ScheduledWorkRunner>();
        return services;
    }

    /// <summary>
    /// The Durable Task engine in this process (DTFx on the same storage, <c>extensions.durableTask</c> of host.json) as
    /// <see cref="IJourneyInstances"/>: the standalone host's, where the Functions app has the Functions host's.
    /// </summary>
    public static IServiceCollection AddDurableTaskEngine(this IServiceCollection services)
    {
        services.AddOptions<DurableTaskSettings>().BindConfiguration(DurableTaskSettings.Section);
        services.AddSingleton(sp => new DurableTaskEngine(sp.GetRequiredService<IOptions<StorageOptions>>().Value,
            sp.GetRequiredService<IOptions<DurableTaskSettings>>().Value, sp.GetRequiredService<StorageAccount>().Tables, sp, sp.GetRequiredService<ILoggerFactory>()));
        services.AddSingleton<IJourneyInstances>(sp => sp.GetRequiredService<DurableTaskEngine>());
        return services;
    }
}
