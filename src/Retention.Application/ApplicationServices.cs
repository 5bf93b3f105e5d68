using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Retention.Application.Customers;
using Retention.Application.Inbound;
using Retention.Application.Ingest;
using Retention.Application.Routing;
using Retention.Application.Scheduling;
using Retention.Application.Sending;
using Retention.Core.Contact;
using Retention.Core.Customers;
using Retention.Core.Ports;
using Retention.Core.Runtime;
using Retention.Core.Settings;
using Retention.Journeys;

namespace Retention.Application;

/// <summary>The application's workflows, each registered by itself over the stores and ports; both hosts compose them.</summary>
public static class ApplicationServices
{
    /// <summary>Routing events to instances: which journeys an event starts, and the instances it is raised to.</summary>
    public static IServiceCollection AddEventRouting(this IServiceCollection services)
    {
        services.AddSingleton<JourneyRouter>();
        return services;
    }

    /// <summary>Accepted webhook events: the ingestor that plans and accepts them and the drain that applies them from the inbox (<c>Retention:Ingest</c>).</summary>
    public static IServiceCollection AddIngest(this IServiceCollection services)
    {
        services.AddSingleton<EventIngestor>();
        services.AddSingleton<ICustomerEventSink>(sp => sp.GetRequiredService<EventIngestor>());
        services.AddOptions<IngestDrainOptions>().BindConfiguration(IngestDrainOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<IngestDrainOptions>>(new OptionsErrorsValidation<IngestDrainOptions>(o => o.Errors()));
        services.AddSingleton<IngestDrain>();
        services.AddSingleton<IngestMetrics>();
        services.AddSingleton<CustomerImports>();
        return services;
    }

    /// <summary>
    /// Messages both ways: the contact policy (<c>Retention:Contact</c>, checked at start) over the contact ledger, the
    /// sender, inbound SMS and delivery reports. The providers come from <c>ChannelServices.AddChannels</c>
    /// and <c>StorageServices.AddDevOutbox</c>.
    /// </summary>
    public static IServiceCollection AddMessaging(this IServiceCollection services)
    {
        services.AddOptions<ContactPolicyOptions>().BindConfiguration(ContactPolicyOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ContactPolicyOptions>>(new OptionsErrorsValidation<ContactPolicyOptions>(o => o.Errors()));
        services.AddSingleton(sp => new ContactPolicy(sp.GetRequiredService<IOptions<ContactPolicyOptions>>().Value,
            sp.GetRequiredService<InterpreterSettings>().DefaultTimeZone));
        services.AddSingleton<IMessageSender, ChannelSender>();
        services.AddSingleton<InboundSmsHandler>();
        services.AddSingleton<InboundSmsMetrics>();
        services.AddSingleton<DeliveryReportHandler>();
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
        services.AddOptions<SystemJobsOptions>().Configure<IConfiguration>((o, configuration) => configuration.GetSection(SystemJobsOptions.Section).Bind(o.Jobs))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<SystemJobsOptions>>(sp =>
            new OptionsErrorsValidation<SystemJobsOptions>(o => o.Errors(sp.GetServices<ISystemJob>().Select(k => k.Kind))));
        services.AddSingleton<Reporting.CounterBackfill>();
        services.AddSingleton<ISystemJob>(sp => sp.GetRequiredService<Reporting.CounterBackfill>());
        services.AddSingleton<SystemJobs>();
        services.AddSingleton<ScheduledJourneyStarter>();
        services.AddSingleton<Scheduler>();
        services.AddSingleton<IScheduledWorkRunner, ScheduledWorkRunner>();
        return services;
    }
}
