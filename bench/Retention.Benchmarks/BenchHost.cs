using Azure.Core.Pipeline;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Retention.Testing;

namespace Retention.Benchmarks;

/// <summary>
/// The real host in-process, as <see cref="RetentionFactory"/> composes it, on the private Azurite, with the request
/// counter registered as the storage pipeline policy. The hosted poller is off (<c>RunPollers=false</c>): the benchmark
/// runs the very same <c>QueuePoller.RunAsync</c> loop itself, so it can start it once a backlog is in place.
/// </summary>
public sealed class BenchHost : WebApplicationFactory<Program>
{
    private readonly JourneyFolder _journeys;
    private readonly string _connectionString;
    private readonly RequestCounter _counter;
    private readonly bool _hostLogs;

    public BenchHost(string connectionString, RequestCounter counter, bool hostLogs, params string[] journeys)
    {
        _journeys = new JourneyFolder(journeys);
        _connectionString = connectionString;
        _counter = counter;
        _hostLogs = hostLogs;
    }

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.UseSetting("Retention:Storage:Prefix", "bench");
        builder.UseSetting("Retention:Storage:ConnectionString", _connectionString);
        builder.UseSetting("Retention:JourneysPath", _journeys.Path);
        builder.UseSetting("Retention:RunPollers", "false");
        builder.UseSetting("Retention:DefaultTimeZone", "UTC");
        if (!_hostLogs)
        {
            // Information logs (one per start and per send) would cost console time on 2 cores; warnings still show.
            builder.ConfigureAppConfiguration(config => config.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Logging:LogLevel:Default"] = "Warning",
            }));
        }
        builder.ConfigureServices(services => services.AddSingleton<HttpPipelinePolicy>(_counter));
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        _journeys.Dispose();
    }
}
