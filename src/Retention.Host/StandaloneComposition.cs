using Microsoft.Extensions.Options;
using Retention.Api.Composition;
using Retention.Api.Web;
using Retention.Engine;
using Retention.Host.Hosting;

namespace Retention.Host;

/// <summary>
/// The standalone host: the composition both hosts share (src/Retention.Api), plus the engine and the loops only this
/// host runs.
/// </summary>
public static class StandaloneComposition
{
    /// <summary>The shared composition, plus the engine and the loops only this host runs.</summary>
    public static WebApplicationBuilder AddRetention(this WebApplicationBuilder builder)
    {
        builder.Configuration.AddRetentionConfiguration();
        builder.Services.AddRetentionServices(builder.Configuration);
        builder.Services.AddStandaloneRuntime();
        return builder;
    }

    /// <summary>
    /// The standalone host's own runtime: the Durable Task engine in process (DTFx on Azure Storage) as
    /// <see cref="Retention.Journeys.IJourneyInstances"/>, its worker, the loop that ticks the cron scheduler and the one
    /// that drains the ingest inbox. In the Functions app the Functions host runs the orchestrations and timer functions
    /// do the rest.
    /// </summary>
    public static IServiceCollection AddStandaloneRuntime(this IServiceCollection services)
    {
        services.AddDurableTaskEngine();
        // The worker stops gracefully within the host's shutdown timeout, which is ours to set and validate.
        services.AddOptions<HostOptions>().Configure<IOptions<RetentionOptions>>((host, retention) => host.ShutdownTimeout = retention.Value.ShutdownTimeout);
        services.AddHostedService<DurableWorkerService>();
        services.AddHostedService<SchedulerService>();
        services.AddHostedService<IngestDrainService>();
        return services;
    }

    public static WebApplication MapRetention(this WebApplication app)
    {
        app.UseAdminRedirect();
        app.UseRetention();
        return app;
    }

    /// <summary>
    /// The workspace's old address: <c>/admin</c> and anything under it redirect to <see cref="AdminUiEndpoints.Path"/>.
    /// Only here: the Functions host reserves <c>/admin</c> for its own admin API.
    /// </summary>
    private static void UseAdminRedirect(this WebApplication app) =>
        app.Use((context, next) =>
        {
            if (!context.Request.Path.StartsWithSegments(OldWorkspacePath, out var rest))
            {
                return next(context);
            }
            context.Response.Redirect($"{AdminUiEndpoints.Path}{(rest.HasValue ? rest.Value : "/")}{context.Request.QueryString}");
            return Task.CompletedTask;
        });

    private const string OldWorkspacePath = "/admin";
}
