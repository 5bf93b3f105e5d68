using System.Reflection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using Retention.Application.Inbound;
using Retention.Application.Ingest;
using Retention.Journeys;

namespace Retention.Api.Operations;

/// <summary>
/// The Prometheus metrics at <c>/metrics</c>: the service's meters, its name and version on the target
/// (<c>service.name</c> <see cref="ServiceName"/>), and every counter family exported from the start, at zero.
/// </summary>
public static class ServiceMetrics
{
    public const string ServiceName = "retention";

    /// <summary>Every meter the service declares its figures on; nothing else is exported.</summary>
    public static readonly IReadOnlyList<string> MeterNames = [JourneyMetrics.MeterName, IngestMetrics.MeterName, InboundSmsMetrics.MeterName];

    public static IServiceCollection AddServiceMetrics(this IServiceCollection services)
    {
        var version = typeof(ServiceMetrics).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(ServiceName, serviceVersion: version))
            // Each scrape reads the figures afresh rather than a copy up to 300 ms old: scrapes are seconds apart anyway.
            .WithMetrics(metrics => metrics.AddMeter([.. MeterNames]).AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
        services.AddHostedService<CountersAtZero>();
        return services;
    }

    /// <summary>
    /// Sets every counter at zero once the meter provider listens, which is when a measurement starts to count: a
    /// counter only appears at <c>/metrics</c> once something was added to it.
    /// </summary>
    private sealed class CountersAtZero(IServiceProvider services) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            _ = services.GetRequiredService<MeterProvider>();
            services.GetRequiredService<IngestMetrics>().StartAtZero();
            services.GetRequiredService<JourneyMetrics>().StartAtZero();
            _ = services.GetRequiredService<InboundSmsMetrics>(); // observed: its outcomes are read at zero once it exists
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
