using Microsoft.Extensions.Options;
using Retention.Api.Composition;
using Retention.Application.Journeys;
using Retention.Storage;
using Retention.Storage.Journeys;
using Retention.Storage.Reference;

namespace Retention.Api.Hosting;

/// <summary>
/// Prepares storage and publishes the journeys folder before the host serves requests. Waits for storage for a
/// while, since the emulator may still be starting.
/// </summary>
public sealed class RuntimeStartup(
    StorageAccount account,
    ReferenceDataStore referenceData,
    JourneySeeder seeder,
    IOptions<RetentionOptions> options,
    TimeProvider time,
    ILogger<RuntimeStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var deadline = time.GetUtcNow() + TimeSpan.FromSeconds(60);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await account.EnsureCreatedAsync(cancellationToken);
                break;
            }
            catch (Exception e) when (StorageFailures.IsOutage(e, cancellationToken) && time.GetUtcNow() < deadline)
            {
                logger.StorageNotReady(attempt);
                await Task.Delay(TimeSpan.FromSeconds(1), time, cancellationToken);
            }
        }
        // The calendars (validated at start, so they read) and the staff directory first: journeys are checked against
        // the calendars in force.
        await referenceData.SeedAsync(ReferenceKinds.Calendars, BusinessCalendars.ReadConfigured(options.Value.Calendars).Document!, cancellationToken);
        await referenceData.SeedAsync(ReferenceKinds.Staff, options.Value.Staff.ToDirectory().ToDocument(), cancellationToken);
        var folder = options.Value.ResolveJourneysPath();
        var published = await seeder.SeedAsync(folder, cancellationToken);
        logger.JourneysLoaded(published.Count, folder);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
