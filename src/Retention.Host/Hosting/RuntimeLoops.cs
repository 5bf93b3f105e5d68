using Microsoft.Extensions.Options;
using Retention.Host.Composition;
using Retention.Storage.Journeys;
using Retention.Storage.Work;

namespace Retention.Host.Hosting;

/// <summary>The work-queue poller of standalone mode (off in Functions custom-handler mode).</summary>
public sealed class QueuePollerService(QueuePoller poller, IOptions<RetentionOptions> options, TimeProvider time) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        options.Value.RunPollers ? poller.RunAsync(time, stoppingToken) : Task.CompletedTask;
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

/// <summary>Ticks the cron scheduler in standalone mode, sleeping until the next occurrence (at most a minute).</summary>
public sealed class SchedulerService(Retention.Storage.Scheduling.Scheduler scheduler, IOptions<RetentionOptions> options, TimeProvider time, ILogger<SchedulerService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.RunPollers)
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
