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
