using System.Globalization;
using Microsoft.AspNetCore.Diagnostics;
using Retention.Application.Ingest;
using Retention.Storage;
using Retention.Storage.Ingest;

namespace Retention.Api.Operations;

/// <summary>
/// Turns "storage cannot be reached" into <c>503</c> problem+json with <c>Retry-After</c>, for every endpoint. A
/// webhook sender then knows to retry later: nothing it sent was acknowledged, and whatever part of it was written
/// before the outage is applied once when the retry comes (ingest is idempotent on source and id).
/// </summary>
public sealed class StorageUnavailableHandler(IProblemDetailsService problems, IngestMetrics metrics, ILogger<StorageUnavailableHandler> logger) : IExceptionHandler
{
    /// <summary>Seconds a client should wait before retrying: long enough for a restarted emulator or a failover.</summary>
    public const int RetryAfterSeconds = 10;

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (!StorageFailures.IsOutage(exception, httpContext.RequestAborted))
        {
            return false;
        }
        logger.StorageUnavailable(httpContext.Request.Method, httpContext.Request.Path.Value ?? "", exception.GetType().Name);
        if (httpContext.Request.Path.StartsWithSegments("/api/events", StringComparison.OrdinalIgnoreCase))
        {
            metrics.Rejected(IngestMetrics.StorageUnavailableReason);
        }
        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "Storage unavailable",
                Detail = $"The service cannot reach its storage right now, so nothing from this request was accepted. Retry after {RetryAfterSeconds} s (sign the retry afresh); events already accepted are applied once.",
                Type = "https://retention.dev/problems/storage-unavailable",
            },
        });
    }
}
