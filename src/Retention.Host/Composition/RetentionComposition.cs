using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Retention.Channels.DevOutbox;
using Retention.Channels.Inbound;
using Retention.Channels.Messages;
using Retention.Channels.Policies;
using Retention.Channels.Providers;
using Retention.Channels.Sending;
using Retention.Channels.Templates;
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
using Retention.Storage;
using Retention.Storage.Customers;
using Retention.Journeys;
using Retention.Storage.Durable;
using Retention.Storage.Ingest;
using Retention.Storage.Routing;
using Retention.Storage.Journeys;
using Retention.Storage.Scheduling;
using Retention.Storage.Tasks;

namespace Retention.Host.Composition;

/// <summary>The composition root: every service and endpoint of the host, wired in one place.</summary>
public static class RetentionComposition
{
    public static WebApplicationBuilder AddRetention(this WebApplicationBuilder builder)
    {
        // host.json carries the Durable Task settings for both hosts (extensions.durableTask); it is the lowest-precedence
        // source, so appsettings, environment variables and the command line can still override it.
        builder.Configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Json.JsonConfigurationSource
        {
            Path = "host.json",
            Optional = true,
            FileProvider = new Microsoft.Extensions.FileProviders.PhysicalFileProvider(AppContext.BaseDirectory),
        });
        KeyVaultReferences.RefuseUnresolved(builder.Configuration);
        var services = builder.Services;
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
        services.AddJourneyOrchestrations();
        services.AddSingleton(sp => new DurableTaskEngine(sp.GetRequiredService<IOptions<StorageOptions>>().Value,
            sp.GetRequiredService<IOptions<DurableTaskSettings>>().Value, sp, sp.GetRequiredService<ILoggerFactory>()));
        services.AddSingleton<IJourneyInstances>(sp => sp.GetRequiredService<DurableTaskEngine>());
        services.AddSingleton<CustomerInstanceIndex>();
        services.AddSingleton<IInstanceIndex>(sp => sp.GetRequiredService<CustomerInstanceIndex>());
        services.AddSingleton<JourneyRouter>();
        services.AddSingleton<EnrollmentStore>();
        services.AddSingleton<CorrelationIndex>();
        services.AddSingleton<CustomerProfileStore>();
        services.AddSingleton<ICustomerProfiles>(sp => sp.GetRequiredService<CustomerProfileStore>());
        services.AddSingleton<CustomerEventLog>();
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
        services.AddSingleton<SeenSignatureStore>();
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
        services.AddChannelProviders(builder.Configuration); // acs / smtp when configured; otherwise the dev outbox below
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
        services.AddHostedService<DurableWorkerService>();
        services.AddHostedService<CatalogRefreshService>();
        services.AddHostedService<SchedulerService>();

        services.AddAdminAuthentication(); // API keys, and bearer tokens when Retention:Admin:Jwt is configured
        services.AddAuthorizationBuilder()
            .AddPolicy(Roles.Viewer, p => p.RequireRole(Roles.All))
            .AddPolicy(Roles.Editor, p => p.RequireRole(Roles.Editor, Roles.Publisher))
            .AddPolicy(Roles.Publisher, p => p.RequireRole(Roles.Publisher))
            .AddPolicy(Roles.Operator, p => p.RequireRole(Roles.Operator));

        services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddMeter(JourneyMetrics.MeterName, IngestMetrics.MeterName).AddPrometheusExporter());
        return builder;
    }

    public static WebApplication MapRetention(this WebApplication app)
    {
        RefuseLocalDefaultsOutsideDevelopment(app);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseApiReference();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRequestInputGuard();
        app.UseMiddleware<AdminAuditMiddleware>();
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
        Retention.Host.Web.AdminUiEndpoints.MapAdminWorkspace(app);
        if (app.Services.GetRequiredService<IOptions<RetentionOptions>>().Value.Channels.UsesDevOutbox)
        {
            app.MapDevOutboxEndpoints();
        }
        return app;
    }

    /// <summary>The local defaults of API.md are for a developer's machine only; anywhere else they are refused.</summary>
    private static void RefuseLocalDefaultsOutsideDevelopment(WebApplication app)
    {
        if (app.Environment.IsDevelopment())
        {
            return;
        }
        var options = app.Services.GetRequiredService<IOptions<RetentionOptions>>().Value;
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
            throw new InvalidOperationException($"Refusing to start in {app.Environment.EnvironmentName}: {string.Join("; ", problems)}. Set real values, or run with ASPNETCORE_ENVIRONMENT=Development for local use.");
        }
    }
}
