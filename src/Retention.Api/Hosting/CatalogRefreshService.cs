using Microsoft.Extensions.Options;
using Retention.Api.Composition;
using Retention.Storage.Journeys;

namespace Retention.Api.Hosting;

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
