using Microsoft.Extensions.Options;
using Retention.Api.Composition;
using Retention.Storage.Journeys;

namespace Retention.Api.Hosting;

/// <summary>Picks up journeys, calendars and staff directories published or paused by other replicas.</summary>
public sealed class CatalogRefreshService(JourneyCatalog catalog, Retention.Storage.Reference.ReferenceDataStore referenceData, IOptions<RetentionOptions> options,
    TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.CatalogRefreshInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            await catalog.RefreshQuietlyAsync(stoppingToken);
            await referenceData.RefreshQuietlyAsync(stoppingToken);
        }
    }
}
