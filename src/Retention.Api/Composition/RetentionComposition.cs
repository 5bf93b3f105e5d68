using Microsoft.Extensions.Options;
using Retention.Api.Admin;
using Retention.Api.Dev;
using Retention.Api.Ingest;
using Retention.Api.Operations;
using Retention.Api.Web;
using Retention.Application;
using Retention.Channels.Providers;
using Retention.Core.Settings;
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
        services.AddSingleton<IValidateOptions<RetentionOptions>>(sp => new OptionsErrorsValidation<RetentionOptions>(
            o => LocalDefaults.Errors(o, sp.GetRequiredService<IHostEnvironment>(), sp.GetRequiredService<ChannelSelection>())));
        services.AddSingleton(TimeProvider.System);
        services.AddOperations();
        services.AddRetentionStorage();
        services.AddChannels(configuration, channels);
        services.AddDevOutbox(channels.DevChannels());
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
    /// or the pipeline the Functions app's catch-all HTTP function runs.
    /// </summary>
    public static IApplicationBuilder UseRetention(this IApplicationBuilder app)
    {
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
        app.MapCustomerImportsEndpoints();
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
}
