using Microsoft.Extensions.Options;
using Retention.Host.Composition;
using Retention.Journeys;
using Retention.Storage.Durable;
using Retention.Storage.Journeys;

namespace Retention.Host.Hosting;

/// <summary>
/// Creates the task hub and runs the Durable Task worker in this process (unless <c>Retention:RunWorker</c> is off,
/// for a replica that only serves HTTP). Starts after <see cref="RuntimeStartup"/> has prepared storage.
/// </summary>
public sealed class DurableWorkerService(IJourneyInstances instances, IOptions<RetentionOptions> options) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (instances is not DurableTaskEngine engine)
        {
            return; // another engine (the tests' virtual-time one) runs the orchestrations
        }
        if (options.Value.RunWorker)
        {
            await engine.StartWorkerAsync(cancellationToken);
        }
        else
        {
            await engine.EnsureTaskHubAsync();
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (instances is DurableTaskEngine engine)
        {
            await engine.StopWorkerAsync();
        }
    }
}

/// <summary>Picks up journeys published or paused by other replicas.</summary>
public sealed class CatalogRefreshService(JourneyCatalog catalog, IOptions<RetentionOptions> options, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.CatalogRefreshInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            await catalog.RefreshQuietlyAsync(stoppingToken);
        }
    }
}

/// <summary>Ticks the cron scheduler, sleeping until the next occurrence (at most a minute).</summary>
public sealed class SchedulerService(Retention.Storage.Scheduling.Scheduler scheduler, IOptions<RetentionOptions> options, TimeProvider time, ILogger<SchedulerService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.RunWorker)
        {
            return;
        }
        while (!stoppingToken.IsCancellationRequested)
        {
            var wait = TimeSpan.FromMinutes(1);
            try
            {
                if (await scheduler.TickAsync(stoppingToken) is { } next && next - time.GetUtcNow() < wait)
                {
                    wait = next - time.GetUtcNow();
                }
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                Retention.Storage.Logs.SchedulerTickFailed(logger, e);
                wait = TimeSpan.FromSeconds(10);
            }
            await Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }
}
