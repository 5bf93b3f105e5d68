using OpenTelemetry.Metrics;
using Retention.Api.Composition;
using Retention.Application.Inbound;
using Retention.Application.Ingest;
using Retention.Journeys;
using Retention.Storage.Ingest;

namespace Retention.Api.Operations;

public static class OperationsServices
{
    /// <summary>
    /// What every request and operator relies on: RFC 7807 problems (bad input, storage unavailable), the OpenAPI
    /// document and the Prometheus metrics.
    /// </summary>
    public static IServiceCollection AddOperations(this IServiceCollection services)
    {
        services.AddRouting(); // a WebApplication adds it; the Functions worker's pipeline (UseRetention) needs it too
        services.AddProblemDetails();
        services.AddRequestInputGuard();
        services.AddExceptionHandler<StorageUnavailableHandler>();
        services.AddOpenApi(ApiDocument.Configure);
        // The inbound SMS counts are made with the exporter, so their family is exported (at zero) before the first SMS.
        services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddMeter(JourneyMetrics.MeterName, IngestMetrics.MeterName, InboundSmsMetrics.MeterName)
            .AddInstrumentation(sp => sp.GetRequiredService<InboundSmsMetrics>()).AddPrometheusExporter());
        return services;
    }
}
