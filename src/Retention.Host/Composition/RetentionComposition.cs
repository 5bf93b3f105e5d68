using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using Retention.Channels.Providers;
using Retention.Channels.Templates;
using Retention.Core.Contact;
using Retention.Core.Definitions;
using Retention.Core.Ports;
using Retention.Core.Runtime;
using Retention.Core.Time;
using Retention.Host.Admin;
using Retention.Host.Dev;
using Retention.Host.Hosting;
using Retention.Host.Ingest;
using Retention.Host.Operations;
using Retention.Host.Security;
using Retention.Host.Web;
using Retention.Journeys;
using Retention.Storage;
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

namespace Retention.Host.Composition;

/// <summary>
/// The composition root, shared by both hosts: <see cref="AddRetentionServices"/> and <see cref="UseRetention"/> are every
/// service, middleware and endpoint of the product. The standalone host (<see cref="AddRetention"/>) adds its own
/// engine (DTFx in process) and scheduler loop; the Functions app (src/Retention.Functions) adds its Durable client
/// and trigger wrappers instead.
/// </summary>
public static class RetentionComposition
{
    /// <summary>The standalone host: the shared composition, plus the engine and the loops only this host runs.</summary>
    public static WebApplicationBuilder AddRetention(this WebApplicationBuilder builder)
    {
        builder.Configuration.AddRetentionConfiguration();
        builder.Services.AddRetentionServices(builder.Configuration);
        builder.Services.AddStandaloneRuntime();
        return builder;
    }

    /// <summary>
    /// host.json carries the Durable Task settings for both hosts (extensions.durableTask); it is the lowest-precedence
    /// source, so appsettings, environment variables and the command line can still override it. Key Vault references
    /// the platform left unresolved are refused.
    /// </summary>
    public static IConfigurationManager AddRetentionConfiguration(this IConfigurationManager configuration)
    {
        configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Json.JsonConfigurationSource
        {
            Path = "host.json",
            Optional = true,
            FileProvider = new Microsoft.Extensions.FileProviders.PhysicalFileProvider(AppContext.BaseDirectory),
        });
        KeyVaultReferences.RefuseUnresolved(configuration);
        return configuration;
    }

    /// <summary>
    /// Every service both hosts share: options, storage, the journey runtime's ports, ingest, channels, the scheduler and
    /// the HTTP API's services. Not the engine: each host registers its <see cref="IJourneyInstances"/>.
    /// </summary>
    public static IServiceCollection AddRetentionServices(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RetentionOptions>().BindConfiguration(RetentionOptions.Section);
        services.AddOptions<StorageOptions>().BindConfiguration("Retention:Storage")
            .PostConfigure<IConfiguration>((o, config) => o.ConnectionString ??= config.GetConnectionString("Storage") ?? config["AzureWebJobsStorage"]).ValidateOnStart();
        services.AddSingleton<IValidateOptions<StorageOptions>, StorageOptionsValidation>();
        services.AddOptions<DurableTaskSettings>().BindConfiguration(DurableTaskSettings.Section);
        services.AddProblemDetails();
        services.AddRequestInputGuard();
        services.AddExceptionHandler<StorageUnavailableHandler>();
        services.AddOpenApi(ApiReference.ConfigureDocument);
        services.AddSingleton(TimeProvider.System);

        services.AddSingleton(sp => new StorageAccount(sp.GetRequiredService<IOptions<StorageOptions>>().Value, sp.GetService<Azure.Core.Pipeline.HttpPipelinePolicy>()));
        services.AddSingleton(sp => BusinessCalendars.Load(sp.GetRequiredService<IOptions<RetentionOptions>>().Value.Calendars));
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<RetentionOptions>>().Value;
            var zone = LocalClock.ResolveZone(options.DefaultTimeZone, TimeZoneInfo.Utc);
            return new JourneyInterpreter(new InterpreterSettings(zone, options.EventBufferWindow)
            {
                Calendars = sp.GetRequiredService<BusinessCalendars>().ById,
                RegionCalendars = options.Calendars.Regions,
                DefaultCalendar = options.Calendars.Default,
                Staff = options.Staff.ToDirectory(),
            });
        });
        services.AddSingleton<MessageRenderer>();
        services.AddSingleton(sp => new JourneyDefinitionReader(sp.GetRequiredService<MessageRenderer>(),
            sp.GetRequiredService<BusinessCalendars>().ById.Keys.ToHashSet(StringComparer.Ordinal)));
        services.AddJourneyOrchestrations(configuration.GetValue<int?>("Retention:InputsPerGeneration"), configuration.GetValue<TimeSpan?>("Retention:TimerMargin"));
        services.AddSingleton<CustomerInstanceIndex>();
        services.AddSingleton<IInstanceIndex>(sp => sp.GetRequiredService<CustomerInstanceIndex>());
        services.AddSingleton<JourneyRouter>();
        services.AddSingleton<EnrollmentStore>();
        services.AddSingleton<CorrelationIndex>();
        services.AddSingleton<CustomerProfileStore>();
        services.AddSingleton<ICustomerProfiles>(sp => sp.GetRequiredService<CustomerProfileStore>());
        services.AddSingleton<CustomerEventLog>();
        services.AddSingleton<IRecentCustomerEvents>(sp => sp.GetRequiredService<CustomerEventLog>());
        services.AddOptions<Retention.Core.Customers.PyramidSettings>().BindConfiguration(Retention.Core.Customers.PyramidSettings.Section)
            .Validate(o => o.Errors().Count == 0, "Retention:Pyramid is not valid: check ActiveWithin and the tier percentages").ValidateOnStart();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<Retention.Core.Customers.PyramidSettings>>().Value);
        services.AddSingleton<CustomerTransactions>();
        services.AddSingleton<PyramidRecompute>();
        services.AddSingleton<ISystemJob>(sp => sp.GetRequiredService<PyramidRecompute>()); // job kinds: add more ISystemJob registrations
        services.AddSingleton<SystemJobs>();
        services.AddSingleton<IngestLedger>();
        services.AddSingleton<EventIngestor>();
        services.AddSingleton<ICustomerEventSink>(sp => sp.GetRequiredService<EventIngestor>());
        services.AddSingleton<IngestInbox>();
        services.AddOptions<IngestDrainOptions>().BindConfiguration(IngestDrainOptions.Section);
        services.AddSingleton<IngestDrain>();
        services.AddSingleton<WebhookRateLimiter>();
        services.AddSingleton<IngestMetrics>();
        services.AddSingleton<AuditLog>();
        services.AddSingleton<TaskStore>();
        services.AddSingleton<ITaskSink>(sp => sp.GetRequiredService<TaskStore>());
        services.AddSingleton<JourneyCatalog>();
        services.AddSingleton<IJourneyCatalog>(sp => sp.GetRequiredService<JourneyCatalog>());
        services.AddSingleton<JourneySeeder>();
        services.AddJourneyLifecycle();
        services.AddSingleton<DevOutboxStore>();
        services.AddOptions<ContactPolicyOptions>().BindConfiguration("Retention:Contact");
        services.AddSingleton(sp => new ContactPolicy(sp.GetRequiredService<IOptions<ContactPolicyOptions>>().Value,
            sp.GetRequiredService<JourneyInterpreter>().Settings.DefaultTimeZone));
        services.AddSingleton<ContactLedger>();
        services.AddSingleton<MessageLog>();
        services.AddSingleton<DevOutboxProvider>();
        services.AddChannelProviders(configuration); // acs / smtp when configured; otherwise the dev outbox below
        services.TryAddSingleton<ISmsProvider>(sp => sp.GetRequiredService<DevOutboxProvider>());
        services.TryAddSingleton<IEmailProvider>(sp => sp.GetRequiredService<DevOutboxProvider>());
        services.AddSingleton<IMessageSender, ChannelSender>();
        services.AddSingleton<InboundSmsHandler>();
        services.AddSingleton<DeliveryReportHandler>();
        services.AddSingleton<ScheduleLedger>();
        services.AddSingleton<ScheduledJourneyStarter>();
        services.AddSingleton<Scheduler>();
        services.AddSingleton<IScheduledWorkRunner, ScheduledWorkRunner>();

        services.AddHostedService<RuntimeStartup>();
        services.AddHostedService<CatalogRefreshService>();
        services.AddRouting(); // a WebApplication adds it; the Functions worker's pipeline (UseRetention) needs it too

        services.AddAdminAuthentication(); // API keys, and bearer tokens when Retention:Admin:Jwt is configured
        services.AddAuthorizationBuilder()
            .AddPolicy(Roles.Viewer, p => p.RequireRole(Roles.All))
            .AddPolicy(Roles.Editor, p => p.RequireRole(Roles.Editor, Roles.Publisher))
            .AddPolicy(Roles.Publisher, p => p.RequireRole(Roles.Publisher))
            .AddPolicy(Roles.Operator, p => p.RequireRole(Roles.Operator));

        services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddMeter(JourneyMetrics.MeterName, IngestMetrics.MeterName).AddPrometheusExporter());
        return services;
    }

    /// <summary>
    /// The standalone host's own runtime: the Durable Task engine in process (DTFx on Azure Storage) as
    /// <see cref="IJourneyInstances"/>, its worker, the loop that ticks the cron scheduler and the one that drains the
    /// ingest inbox. In the Functions app the Functions host runs the orchestrations and timer functions do the rest.
    /// </summary>
    public static IServiceCollection AddStandaloneRuntime(this IServiceCollection services)
    {
        services.AddSingleton(sp => new DurableTaskEngine(sp.GetRequiredService<IOptions<StorageOptions>>().Value,
            sp.GetRequiredService<IOptions<DurableTaskSettings>>().Value, sp, sp.GetRequiredService<ILoggerFactory>()));
        services.AddSingleton<IJourneyInstances>(sp => sp.GetRequiredService<DurableTaskEngine>());
        services.AddHostedService<DurableWorkerService>();
        services.AddHostedService<SchedulerService>();
        services.AddHostedService<IngestDrainService>();
        return services;
    }

    public static WebApplication MapRetention(this WebApplication app)
    {
        app.UseRetention();
        return app;
    }

    /// <summary>
    /// The HTTP pipeline and every endpoint, on any application builder: the standalone host's <see cref="WebApplication"/>,
    /// or the pipeline the Functions app's catch-all HTTP function runs. Refuses local defaults outside Development.
    /// </summary>
    public static IApplicationBuilder UseRetention(this IApplicationBuilder app)
    {
        RefuseLocalDefaultsOutsideDevelopment(app.ApplicationServices);
        app.UseRouting();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseApiReference();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRequestInputGuard();
        app.UseMiddleware<AdminAuditMiddleware>();
        app.UseAdminWorkspaceFiles();
        app.UseEndpoints(MapRetentionEndpoints);
        return app;
    }

    private static void MapRetentionEndpoints(IEndpointRouteBuilder app)
    {
        app.MapOpenApi();
        app.MapPrometheusScrapingEndpoint("/metrics");
        app.MapHealthEndpoints();
        app.MapEventsEndpoints();
        app.MapEventGridEndpoints();
        app.MapInstancesEndpoints();
        app.MapJourneysEndpoints();
        app.MapCustomersEndpoints();
        app.MapComplaintsEndpoints();
        app.MapTasksEndpoints();
        app.MapJobsEndpoints();
        app.MapOperationsEndpoints();
        app.MapAuditEndpoints();
        app.MapAdminWorkspace();
        if (app.ServiceProvider.GetRequiredService<IOptions<RetentionOptions>>().Value.Channels.UsesDevOutbox)
        {
            app.MapDevOutboxEndpoints();
        }
    }

    /// <summary>The local defaults of API.md are for a developer's machine only; anywhere else they are refused.</summary>
    private static void RefuseLocalDefaultsOutsideDevelopment(IServiceProvider services)
    {
        var environment = services.GetRequiredService<IHostEnvironment>();
        if (environment.IsDevelopment())
        {
            return;
        }
        var options = services.GetRequiredService<IOptions<RetentionOptions>>().Value;
        var problems = new List<string>();
        if (options.Admin.Keys.Count == 0)
        {
            problems.Add("no admin API keys are configured (Retention:Admin:Keys)");
        }
        if (options.Admin.Keys.Any(k => k.Key == "dev-admin-key" || k.Key.Length < 16))
        {
            problems.Add("an admin API key is the local default or shorter than 16 characters");
        }
        if (options.Webhooks.Sources.Values.SelectMany(s => s.Secrets).Any(s => s == "dev-webhook-secret" || s.Length < 16))
        {
            problems.Add("a webhook secret is the local default or shorter than 16 characters");
        }
        if (options.EventGrid.Key == "dev-eventgrid-key")
        {
            problems.Add("the Event Grid key is the local default");
        }
        if (problems.Count > 0)
        {
            throw new InvalidOperationException($"Refusing to start in {environment.EnvironmentName}: {string.Join("; ", problems)}. Set real values, or run with ASPNETCORE_ENVIRONMENT=Development for local use.");
        }
    }
}
