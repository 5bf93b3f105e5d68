using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Retention.Testing;

namespace Retention.Benchmarks;

/// <summary>
/// The real host in-process (<c>WebApplicationFactory&lt;Program&gt;</c>, as the tests' <see cref="RetentionFactory"/>
/// composes it) on the private Azurite, with storage prefix <c>bench</c> and the journeys given. Everything else is the
/// host's own configuration, host.json's <c>extensions:durableTask</c> included, unless <paramref name="settings"/>
/// overrides it (e.g. <c>Retention:RunWorker</c>, the partition count).
/// </summary>
public sealed class BenchHost(string connectionString, IReadOnlyDictionary<string, string?> settings, bool hostLogs, params string[] journeys)
    : WebApplicationFactory<Program>
{
    private readonly JourneyFolder _journeys = new(journeys);

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.UseSetting("Retention:Storage:Prefix", "bench");
        builder.UseSetting("Retention:Storage:ConnectionString", connectionString);
        builder.UseSetting("Retention:JourneysPath", _journeys.Path);
        builder.UseSetting("Retention:DefaultTimeZone", "UTC");
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
        if (!hostLogs)
        {
            // Information logs (one per start and per send) would cost console time on 2 cores; warnings still show.
            builder.ConfigureAppConfiguration(config => config.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Logging:LogLevel:Default"] = "Warning",
                // DTFx warns on every ExecutionStarted it abandons for a moment and every slow partition-table write; at
                // hundreds of starts that buries the figures. --host-logs shows them.
                ["Logging:LogLevel:DurableTask.AzureStorage"] = "Error",
                ["Logging:LogLevel:DurableTask.Core"] = "Error",
            }));
        }
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        _journeys.Dispose();
    }
}
