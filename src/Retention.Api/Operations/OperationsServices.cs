using Retention.Api.Composition;
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
        services.AddServiceMetrics();
        return services;
    }
}
