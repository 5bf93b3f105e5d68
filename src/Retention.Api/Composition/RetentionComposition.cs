using Microsoft.Extensions.Options;
using Retention.Api.Admin;
using Retention.Api.Dev;
using Retention.Api.Ingest;
using Retention.Api.Operations;
using Retention.Api.Web;
using Retention.Application;
using Retention.Channels.Providers;
using Retention.Storage;

namespace Retention.Api.Composition;

/// <summary>
/// The composition both hosts share: <see cref="AddRetentionServices"/> composes each feature's own <c>Add…</c>, and
/// <see cref="UseRetention"/> is every middleware and endpoint of the product. The standalone host
/// (src/Retention.Host) adds its own engine (DTFx in process) and loops; the Functions app (src/Retention.Functions)
/// adds its Durable client and trigger wrappers instead.
/// </summary>
public static class RetentionComposition
{
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
    /// Every service both hosts share, feature by feature. Not the engine: each host adds its own runtime
    /// (the standalone host its DTFx engine and loops, the Functions app its Durable client), and nothing is taken out again.
    /// </summary>
    public static IServiceCollection AddRetentionServices(this IServiceCollection services, IConfiguration configuration)
    {
        var channels = ChannelSelection.Read(configuration);
        services.AddOptions<RetentionOptions>().BindConfiguration(RetentionOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<RetentionOptions>, RetentionOptionsValidation>();
        services.AddSingleton(TimeProvider.System);
        services.AddOperations();
        services.AddRetentionStorage();
        services.AddChannels(configuration, channels);
        services.AddDevOutbox(channels);
        services.AddEventRouting();
        services.AddJourneyRuntime();
        services.AddMessaging();
        services.AddWebhookIngest();
        services.AddScheduling();
        services.AddAdminApi();
        return services;
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
        app.UseAuthentication();
        app.UseAuthorization(); // closed by default: see Security/AnonymousAccess
        app.UseApiReference();
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
        app.MapReferenceDataEndpoints();
        app.MapCustomersEndpoints();
        app.MapComplaintsEndpoints();
        app.MapTasksEndpoints();
        app.MapJobsEndpoints();
        app.MapOperationsEndpoints();
        app.MapAuditEndpoints();
        app.MapAdminWorkspace();
        app.MapReportsEndpoints();
        app.MapMigrationsEndpoints();
        // Development only: the start refuses a dev channel anywhere else, and the endpoints are never mapped there either.
        if (app.ServiceProvider.GetRequiredService<IHostEnvironment>().IsDevelopment()
            && app.ServiceProvider.GetRequiredService<ChannelSelection>().UsesDevOutbox)
        {
            app.MapDevOutboxEndpoints();
        }
    }

    /// <summary>
    /// The local defaults of API.md and the dev channel are for a developer's machine only; anywhere else they are refused.
    /// A deployment without SMS or email says so with the provider <c>none</c>.
    /// </summary>
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
        foreach (var setting in services.GetRequiredService<ChannelSelection>().DevSettings())
        {
            problems.Add($"{setting} is dev (the dev outbox, also its default when unset), which serves messages to anyone; set a real provider, or none for a deployment without that channel");
        }
        if (problems.Count > 0)
        {
            throw new InvalidOperationException($"Refusing to start in {environment.EnvironmentName}: {string.Join("; ", problems)}. Set real values, or run with ASPNETCORE_ENVIRONMENT=Development for local use.");
        }
    }
}
